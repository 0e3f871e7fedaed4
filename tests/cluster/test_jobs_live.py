"""Jobs on the live Kubernetes API: the real job service, its kubernetes runner configured by
the chart's ConfigMap and authenticated as the chart's job-service ServiceAccount (with the
chart's Role, never as admin), kube-controller-manager creating the pods, kwok ending them.

Containers never run here, so the worker's part is played faithfully in two halves: the real
worker (``python -m deslab.jobs.worker --outcome-file``) runs a real job on the demo catalog
and writes its termination message, and kwok, as the kubelet would, puts that message into
the pod's status when it ends the pod. The service learns the outcome only from the API.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes.client
import pytest
from deslab_hub.kubehomes import expand_user_template, username_label
from kubernetes.client.rest import ApiException

from tests.chart.chart_helpers import NAMESPACE, find, manifests, with_images
from tests.cluster.live_api import STORAGE_CLASS, Identity, LiveCluster
from tests.jobs.conftest import hub  # noqa: F401 - the session's JupyterHub (a fixture)
from tests.jobs.jobs_helpers import (
    PY,
    SLOW_SQL,
    Client,
    Hub,
    ServiceProcess,
    kill_leftover_workers,
)

pytestmark = [pytest.mark.cluster, pytest.mark.integration, pytest.mark.slow]

JOB_ID_LABEL = "deslab.org/job-id"
LONG_NAME = "a-very-long-user-name-from-an-identity-provider-0123456789abc"  # 60 characters


def chart_jobs_rbac(cluster: LiveCluster, namespace: str) -> tuple[Identity, dict[str, Any]]:
    """Create the chart's job-service ServiceAccount, Role and RoleBinding in ``namespace``
    and return an identity of that account and the chart's runner configuration."""
    docs = manifests(with_images({}))
    account = find(docs, "ServiceAccount", "-jobs")
    role = find(docs, "Role", "-jobs")
    binding = find(docs, "RoleBinding", "-jobs")
    rbac = kubernetes.client.RbacAuthorizationV1Api(cluster.admin_client())
    for doc in (role, binding):
        doc["metadata"]["namespace"] = namespace
    for subject in binding["subjects"]:
        assert subject["namespace"] == NAMESPACE
        subject["namespace"] = namespace
    rbac.create_namespaced_role(namespace, role)
    rbac.create_namespaced_role_binding(namespace, binding)
    identity = cluster.service_account(namespace, account["metadata"]["name"])
    config = json.loads(find(docs, "ConfigMap", "-jobs-config")["data"]["jobs_config.json"])
    return identity, config["KubernetesRunner"]


class KubeJobs:
    """A job service with the kubernetes runner in one test namespace."""

    def __init__(self, cluster: LiveCluster, namespace: str, jupyterhub: Hub,
                 root: Path) -> None:
        self.cluster = cluster
        self.namespace = namespace
        self.hub = jupyterhub
        self.root = root
        self.identity, self.runner_config = chart_jobs_rbac(cluster, namespace)
        self.core = kubernetes.client.CoreV1Api(cluster.admin_client())
        self.batch = kubernetes.client.BatchV1Api(cluster.admin_client())
        self.svc: ServiceProcess | None = None
        self.volumes: list[str] = []

    def start(self, **runner: Any) -> ServiceProcess:
        config = {**self.runner_config, "namespace": self.namespace,
                  "kubeconfig": str(self.identity.kubeconfig), **runner}
        path = self.root / "jobs_config.json"
        path.write_text(json.dumps({"KubernetesRunner": config}))
        self.svc = ServiceProcess(self.hub, self.root / "svc", DESLAB_JOBS_RUNNER="kubernetes",
                                  DESLAB_JOBS_CONFIG_FILE=str(path),
                                  DESLAB_JOBS_HOME_TEMPLATE="{data_dir}/homes/{safe_username}")
        return self.svc.start()

    def client(self, name: str) -> Client:
        """A user of the job service whose home claim exists (as after their first server
        start, when KubeSpawner creates it), bound to a fresh volume."""
        assert self.svc is not None
        claim = expand_user_template("claim-{username}", name)
        volume = self.cluster.add_volumes(1, size="10Gi")[0]
        self.volumes.append(volume)
        self.core.create_namespaced_persistent_volume_claim(self.namespace, {
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": claim},
            "spec": {"accessModes": ["ReadWriteOnce"], "volumeName": volume,
                     "storageClassName": STORAGE_CLASS,
                     "resources": {"requests": {"storage": "10Gi"}}}})
        return self.svc.client(name)

    def job_object(self, job_id: str) -> kubernetes.client.V1Job | None:
        try:
            return self.batch.read_namespaced_job(f"deslab-job-{job_id}", self.namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def pods(self, job_id: str) -> list[kubernetes.client.V1Pod]:
        return self.core.list_namespaced_pod(
            self.namespace, label_selector=f"{JOB_ID_LABEL}={job_id}").items

    def running_pod(self, job_id: str) -> kubernetes.client.V1Pod:
        """The job's pod once the controller made it and kwok started it."""
        pod = self.cluster.wait_for(lambda: next(iter(self.pods(job_id)), None),
                                    f"a pod of job {job_id}", 120)
        return self.cluster.wait_pod_phase(self.namespace, pod.metadata.name, {"Running"},
                                           timeout=120)

    def gone(self, job_id: str, timeout: float = 60) -> None:
        self.cluster.wait_for(lambda: self.job_object(job_id) is None and not self.pods(job_id),
                              f"the Job and pods of {job_id} to be deleted", timeout)


@pytest.fixture
def kube_jobs(kube_cluster: LiveCluster, kube_namespace: str, hub: Hub,  # noqa: F811
              tmp_path: Path) -> Iterator[KubeJobs]:
    jobs = KubeJobs(kube_cluster, kube_namespace, hub, tmp_path)
    yield jobs
    if jobs.svc is not None:
        jobs.svc.stop()
        kill_leftover_workers(jobs.svc.data_dir)
    kube_cluster.delete_volumes(jobs.volumes)


@pytest.fixture
def run_worker(demo_survey: Path, tmp_path: Path) -> Callable[..., tuple[str, Path]]:
    """Run the real worker on the demo catalog; return its termination message and folder."""

    def run(params: dict[str, Any], job_type: str = "query") -> tuple[str, Path]:
        out = tmp_path / "pod-home" / "jobs" / "j"
        spec = tmp_path / "spec.json"
        spec.write_text(json.dumps({"job_id": "j", "type": job_type, "output_dir": str(out),
                                    "params": params}))
        term = tmp_path / "termination-log"
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "pod-home"),
               "DESLAB_CATALOG": f"duckdb:///{demo_survey / 'catalog.duckdb'}"}
        subprocess.run([PY, "-m", "deslab.jobs.worker", "--spec", str(spec),
                        "--outcome-file", str(term)], env=env, timeout=180,
                       capture_output=True)
        return term.read_text(), out

    return run


def query(sql: str, output: str) -> dict[str, Any]:
    return {"sql": sql, "output": output, "format": None, "compression": None, "binds": {}}


@pytest.mark.parametrize("user", ["jane.doe@uni.edu", LONG_NAME])
def test_a_job_completes_with_what_the_worker_reported(kube_jobs: KubeJobs, run_worker,
                                                       user: str) -> None:
    kube_jobs.start()
    owner = kube_jobs.client(user)
    job = owner.submit(sql="SELECT RA, DEC FROM DR2_MAIN WHERE ROWNUM <= 5", output="f.csv")
    assert job["phase"] in ("QUEUED", "EXECUTING")
    pod = kube_jobs.running_pod(job["id"])
    running = owner.wait(job["id"], phases=("EXECUTING",))
    assert running["phase"] == "EXECUTING"

    # the pod is the one the chart promises, for any user name
    spec = pod.spec
    claim = spec.volumes[0].persistent_volume_claim.claim_name
    assert claim == expand_user_template("claim-{username}", user) and len(claim) <= 6 + 48
    assert pod.metadata.labels["hub.jupyter.org/username"] == username_label(user)
    assert spec.affinity.pod_affinity  # the chart's default homes are ReadWriteOnce
    assert spec.automount_service_account_token is False
    worker = spec.containers[0]
    assert worker.termination_message_path == "/dev/termination-log"
    assert worker.security_context.capabilities.drop == ["ALL"]

    message, out = run_worker(query("SELECT RA, DEC FROM DR2_MAIN WHERE ROWNUM <= 5",
                                     "f.csv"))
    kube_jobs.cluster.succeed_pod(kube_jobs.namespace, pod.metadata.name, message=message)
    done = owner.wait(job["id"], timeout=60)
    assert done["phase"] == "COMPLETED", done
    size = (out / "f.csv").stat().st_size
    assert [(r["name"], r["size"]) for r in done["results"]] == [("f.csv", size)]
    assert done["results_bytes"] == size and done["summary"]["rows"] == 5


def test_worker_errors_and_pods_killed_for_memory_end_in_error(kube_jobs: KubeJobs,
                                                               run_worker) -> None:
    kube_jobs.start()
    owner = kube_jobs.client("erin")
    bad = owner.submit(sql="SELECT NO_SUCH_COLUMN FROM DR2_MAIN", output="x.csv")
    pod = kube_jobs.running_pod(bad["id"])
    message, _out = run_worker(query("SELECT NO_SUCH_COLUMN FROM DR2_MAIN", "x.csv"))
    assert json.loads(message)["state"] == "error"
    kube_jobs.cluster.fail_pod(kube_jobs.namespace, pod.metadata.name, message=message)
    failed = owner.wait(bad["id"], timeout=60)
    assert failed["phase"] == "ERROR" and "NO_SUCH_COLUMN" in failed["error"], failed

    oom = owner.submit(sql="SELECT * FROM DR2_MAIN", output="all.csv")
    pod = kube_jobs.running_pod(oom["id"])
    kube_jobs.cluster.fail_pod(kube_jobs.namespace, pod.metadata.name, exit_code=137,
                               reason="OOMKilled")
    killed = owner.wait(oom["id"], timeout=60)
    assert killed["phase"] == "ERROR" and "ran out of memory (limit 4Gi)" in killed["error"]


def test_cancel_deletes_the_job_and_its_pods(kube_jobs: KubeJobs) -> None:
    kube_jobs.start()
    owner = kube_jobs.client("carl")
    job = owner.submit(sql=SLOW_SQL, output="slow.csv")
    kube_jobs.running_pod(job["id"])
    owner.wait(job["id"], phases=("EXECUTING",))
    assert owner.post(f"/jobs/{job['id']}/cancel").status_code == 202
    assert owner.wait(job["id"], timeout=60)["phase"] == "ABORTED"
    kube_jobs.gone(job["id"])


def test_the_api_enforces_the_execution_duration(kube_jobs: KubeJobs) -> None:
    kube_jobs.start(grace_seconds=0)
    owner = kube_jobs.client("dora")
    job = owner.submit(sql=SLOW_SQL, output="slow.csv", execution_duration=3)
    pod = kube_jobs.running_pod(job["id"])
    assert kube_jobs.job_object(job["id"]).spec.active_deadline_seconds == 3
    done = owner.wait(job["id"], timeout=90)
    assert done["phase"] == "ERROR", done
    assert "ran longer than its execution duration of 3 s" in done["error"]
    failed = kube_jobs.job_object(job["id"])
    assert any(c.type in ("Failed", "FailureTarget") and c.reason == "DeadlineExceeded"
               for c in failed.status.conditions)  # the Job controller's verdict
    kube_jobs.cluster.wait_for(lambda: not any(p.metadata.name == pod.metadata.name
                                               and p.status.phase == "Running"
                                               for p in kube_jobs.pods(job["id"])),
                               "the controller to stop the pod", 60)


def test_finished_jobs_are_cleaned_up_after_their_ttl_and_stay_completed(
        kube_jobs: KubeJobs, run_worker) -> None:
    kube_jobs.start(ttl_seconds_after_finished=2)
    owner = kube_jobs.client("tess")
    job = owner.submit(sql="SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 2", output="t.csv")
    pod = kube_jobs.running_pod(job["id"])
    message, _out = run_worker(query("SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 2", "t.csv"))
    kube_jobs.cluster.succeed_pod(kube_jobs.namespace, pod.metadata.name, message=message)
    assert owner.wait(job["id"], timeout=60)["phase"] == "COMPLETED"
    kube_jobs.gone(job["id"], timeout=90)  # the TTL controller, then garbage collection
    time.sleep(1.0)  # a few scheduler rounds without the Job: still COMPLETED, never "lost"
    again = owner.get(f"/jobs/{job['id']}").json()
    assert again["phase"] == "COMPLETED" and again["results"][0]["name"] == "t.csv"


def test_a_restarted_service_recovers_every_job_from_the_api(kube_jobs: KubeJobs,
                                                             run_worker) -> None:
    svc = kube_jobs.start()
    owner = kube_jobs.client("rita")
    finished = owner.submit(sql="SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 3", output="r.csv")
    running = owner.submit(sql=SLOW_SQL, output="s.csv")
    finished_pod = kube_jobs.running_pod(finished["id"])
    kube_jobs.running_pod(running["id"])
    owner.wait(running["id"], phases=("EXECUTING",))
    owner.wait(finished["id"], phases=("EXECUTING",))
    svc.kill()  # SIGKILL, as a crash would
    message, _out = run_worker(query("SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 3", "r.csv"))
    kube_jobs.cluster.succeed_pod(kube_jobs.namespace, finished_pod.metadata.name,
                                  message=message)  # ends while the service is down
    svc.start()
    done = owner.wait(finished["id"], timeout=60)
    assert done["phase"] == "COMPLETED" and done["summary"]["rows"] == 3
    assert done["attempts"] == 1
    still = owner.get(f"/jobs/{running['id']}").json()
    assert still["phase"] == "EXECUTING" and still["attempts"] == 1  # followed, not re-run
    assert len(kube_jobs.batch.list_namespaced_job(kube_jobs.namespace).items) == 2
    assert owner.post(f"/jobs/{running['id']}/cancel").status_code == 202
    assert owner.wait(running["id"], timeout=60)["phase"] == "ABORTED"


def test_a_pod_refused_by_a_quota_ends_the_job_with_the_apis_reason(
        kube_jobs: KubeJobs) -> None:
    kube_jobs.core.create_namespaced_resource_quota(kube_jobs.namespace, {
        "apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "small"},
        "spec": {"hard": {"limits.memory": "1Gi"}}})
    kube_jobs.start()
    owner = kube_jobs.client("quinn")
    job = owner.submit(sql="SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 1", output="q.csv")
    done = owner.wait(job["id"], timeout=90)
    assert done["phase"] == "ERROR", done
    assert "Kubernetes refused to start the job's pod" in done["error"]
    assert "exceeded quota: small" in done["error"], done["error"]
    kube_jobs.gone(job["id"])  # no Job left retrying


async def test_the_runner_adopts_an_existing_job_and_names_any_user(
        kube_jobs: KubeJobs) -> None:
    """409 means "already there": the second create of the same job follows the first."""
    from datetime import UTC, datetime, timedelta

    from deslab_hub.jobs.ids import new_job_id
    from deslab_hub.jobs.models import JobRecord
    from deslab_hub.jobs.runners.kubernetes import KubernetesRunner
    from traitlets.config import Config

    c = Config()
    for key, value in {**kube_jobs.runner_config, "namespace": kube_jobs.namespace,
                       "kubeconfig": str(kube_jobs.identity.kubeconfig)}.items():
        setattr(c.KubernetesRunner, key, value)
    runner = KubernetesRunner(config=c)
    now = datetime.now(UTC)
    for owner in ("Jane.Doe@uni.edu", LONG_NAME):
        job = JobRecord(id=new_job_id(), owner=owner, type="query", name="", phase="QUEUED",
                        params={}, created=now, execution_duration=60,
                        destruction=now + timedelta(days=1), output_dir="/x")
        first = await runner.start(job, {"type": "query", "params": {}}, {})
        second = await runner.start(job, {"type": "query", "params": {}}, {})
        assert first.ref == second.ref
        made = kube_jobs.job_object(job.id)
        assert made.metadata.annotations["deslab.org/owner"] == owner
        await runner.refresh()
        assert runner.alive(job) is True
    await runner.aclose()
    assert len(kube_jobs.batch.list_namespaced_job(kube_jobs.namespace).items) == 2


def test_the_job_service_account_has_only_the_rights_it_needs(kube_jobs: KubeJobs) -> None:
    cluster, ns, me = kube_jobs.cluster, kube_jobs.namespace, kube_jobs.identity.client
    for verb in ("create", "delete", "list", "watch", "get"):
        assert cluster.can_i(me, verb, "jobs", group="batch", namespace=ns)
    assert cluster.can_i(me, "list", "pods", namespace=ns)
    assert cluster.can_i(me, "list", "events", namespace=ns)
    for verb, resource in (("get", "secrets"), ("create", "pods"), ("delete", "pods"),
                           ("patch", "pods"), ("get", "persistentvolumeclaims")):
        assert not cluster.can_i(me, verb, resource, namespace=ns), (verb, resource)
    assert not cluster.can_i(me, "create", "pods", subresource="exec", namespace=ns)
    assert not cluster.can_i(me, "patch", "pods", subresource="status", namespace=ns)
    assert not cluster.can_i(me, "list", "jobs", group="batch", namespace="kube-system")
