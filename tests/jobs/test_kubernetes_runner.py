"""The kubernetes runner's batch/v1 Jobs, validated offline against the Kubernetes schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import kubernetes_validate
import pytest
from deslab_hub.jobs.ids import new_job_id
from deslab_hub.jobs.models import JobRecord
from deslab_hub.jobs.runners.kubernetes import KubernetesRunner
from traitlets.config import Config

KUBE_VERSION = "1.30.0"


def job(owner: str = "alice") -> JobRecord:
    now = datetime.now(UTC)
    return JobRecord(id=new_job_id(), owner=owner, type="query", name="x", phase="QUEUED",
                     params={"sql": "SELECT 1"}, created=now, execution_duration=600,
                     destruction=now + timedelta(days=1), output_dir="/srv/homes/x")


@pytest.mark.parametrize("settings", [
    {},
    {"catalog_secret_name": "oracle-catalog", "service_account": "jobs",
     "image_pull_secrets": ["regcred"], "node_selector": {"pool": "jobs"},
     "tolerations": [{"key": "jobs", "operator": "Exists", "effect": "NoSchedule"}],
     "environment": {"DESLAB_CATALOG": "oracle://des@db.example.org:1521/desoper"}},
])
@pytest.mark.parametrize("owner", ["alice", "Dr.Who@example.org", "x" * 120])
def test_manifests_are_valid_batch_v1_jobs(settings: dict, owner: str) -> None:
    c = Config()
    for k, v in settings.items():
        setattr(c.KubernetesRunner, k, v)
    runner = KubernetesRunner(config=c)
    j = job(owner)
    spec = {"job_id": j.id, "type": "query", "params": j.params, "output_dir": j.output_dir}
    manifest = runner.job_manifest(j, spec)
    kubernetes_validate.validate(manifest, KUBE_VERSION, strict=True)

    pod = manifest["spec"]["template"]["spec"]
    worker = pod["containers"][0]
    assert manifest["spec"]["activeDeadlineSeconds"] == 600 + runner.grace_seconds
    assert manifest["spec"]["ttlSecondsAfterFinished"] > 0
    assert manifest["spec"]["backoffLimit"] == 0
    assert worker["command"][:3] == ["python", "-m", "deslab.jobs.worker"]
    assert worker["resources"]["limits"]["memory"] and worker["resources"]["requests"]["cpu"]
    assert pod["automountServiceAccountToken"] is False
    assert worker["securityContext"]["allowPrivilegeEscalation"] is False
    assert worker["securityContext"]["capabilities"]["drop"] == ["ALL"]
    env = {e["name"]: e.get("value") for e in worker["env"]}
    pod_spec = json.loads(env["DESLAB_JOB_SPEC"])
    assert pod_spec["output_dir"] == f"/home/jovyan/jobs/{j.id}"
    assert env["DESLAB_HOME"] == "/home/jovyan"
    claim = pod["volumes"][0]["persistentVolumeClaim"]["claimName"]
    assert claim.startswith("claim-") and "/" not in claim
    assert all(len(v) <= 63 for v in manifest["metadata"]["labels"].values())
    if settings.get("catalog_secret_name"):
        secret = [v for v in pod["volumes"] if "secret" in v][0]["secret"]
        assert secret["secretName"] == "oracle-catalog"
        assert env["DESLAB_CATALOG_PASSWORD_FILE"] == "/etc/deslab/catalog/password"
    assert "configMap" not in json.dumps(manifest)
    assert "PASSWORD\"" not in json.dumps(env)  # a password is never a value here


NAMES = ["alice", "Jane.Doe@uni.edu", "jane.doe@uni.edu", "x" * 60,
         "Dr. Ünïcode Name With Spaces And A Very Long Tail, 60+ chars!!"]


@pytest.fixture
def kubeconfig(tmp_path, monkeypatch) -> None:
    """KubeSpawner loads a kubeconfig when made; nothing here talks to an API server."""
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9"}}],
        "users": [{"name": "u", "user": {"token": "unused"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}))
    from kubernetes_asyncio.config import kube_config

    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))


@pytest.mark.parametrize("storage", ["dynamic", "shared"])
async def test_claims_sub_paths_and_labels_are_the_ones_kubespawner_makes(
    storage: str, kubeconfig: None
) -> None:
    """The hub's real KubeSpawner, configured from chart values by deslab_hub, and the
    runner, configured as the chart configures it, name the same claim, sub-path and label."""
    from types import SimpleNamespace

    from deslab_hub.cluster import configure_kubernetes
    from kubespawner import KubeSpawner

    values = {"singleuser": {"storage": {"type": storage, "sharedClaim": "deslab-homes"}}}
    c = Config()
    configure_kubernetes(c, values, {})
    runner_config = Config()
    if storage == "dynamic":
        runner_config.KubernetesRunner.pvc_name_template = "claim-{username}"
    else:
        runner_config.KubernetesRunner.pvc_name_template = "deslab-homes"
        runner_config.KubernetesRunner.pvc_sub_path_template = "{username}"
    runner = KubernetesRunner(config=runner_config)
    lengths = set()
    for name in NAMES:
        spawner = KubeSpawner(_mock=True, config=c,
                              user=SimpleNamespace(name=name, id=7, url=f"/user/{name}/"))
        volumes = spawner._expand_all(spawner.volumes)
        mounts = spawner._expand_all(spawner.volume_mounts)
        claim = [v for v in volumes if v["name"] == "home"][0]["persistentVolumeClaim"]
        manifest = runner.job_manifest(job(name), {"type": "query"})
        pod = manifest["spec"]["template"]["spec"]
        job_claim = pod["volumes"][0]["persistentVolumeClaim"]["claimName"]
        if storage == "dynamic":
            assert job_claim == claim["claimName"] == spawner.pvc_name
        else:
            home = [m for m in mounts if m["name"] == "home"][0]
            assert job_claim == claim["claimName"] == "deslab-homes"
            assert pod["containers"][0]["volumeMounts"][0]["subPath"] == home["subPath"]
        label = spawner._build_common_labels({})["hub.jupyter.org/username"]
        assert manifest["spec"]["template"]["metadata"]["labels"][
            "hub.jupyter.org/username"] == label
        lengths.add(len(spawner.pvc_name))
    assert max(lengths) <= len("claim-") + 48  # KubeSpawner's limit, hashed beyond it
    assert KubernetesRunner(config=runner_config).claim_name("Jane.Doe@uni.edu") != (
        KubernetesRunner(config=runner_config).claim_name("jane.doe@uni.edu")) or (
        storage == "shared")


def test_rwo_homes_put_job_pods_on_the_owners_node_and_none_gets_an_empty_dir() -> None:
    c = Config()
    c.KubernetesRunner.colocate_with_owner = True
    manifest = KubernetesRunner(config=c).job_manifest(job("Jane.Doe@uni.edu"), {})
    kubernetes_validate.validate(manifest, KUBE_VERSION, strict=True)
    pod = manifest["spec"]["template"]["spec"]
    term = pod["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert term["labelSelector"]["matchLabels"] == {
        "hub.jupyter.org/username": manifest["spec"]["template"]["metadata"]["labels"][
            "hub.jupyter.org/username"]}  # the pod matches its own term: the first may start

    c = Config()
    c.KubernetesRunner.pvc_name_template = ""
    manifest = KubernetesRunner(config=c).job_manifest(job(), {})
    kubernetes_validate.validate(manifest, KUBE_VERSION, strict=True)
    pod = manifest["spec"]["template"]["spec"]
    assert "emptyDir" in pod["volumes"][0] and "affinity" not in pod


def test_the_worker_reports_through_the_termination_message() -> None:
    manifest = KubernetesRunner().job_manifest(job(), {})
    worker = manifest["spec"]["template"]["spec"]["containers"][0]
    assert worker["terminationMessagePath"] == "/dev/termination-log"
    assert worker["terminationMessagePolicy"] == "File"  # never the log: users influence it
    assert worker["command"][worker["command"].index("--outcome-file") + 1] == (
        "/dev/termination-log")
    assert "--status" not in worker["command"]
