"""The kubernetes runner: each job as a batch/v1 Job running the notebook image.

The pod runs ``python -m deslab.jobs.worker`` with the job's spec in its environment, mounts
the owner's home (claim and sub-path named as KubeSpawner names them,
:mod:`deslab_hub.kubehomes`, so results land in the ``~/jobs/<id>/`` their server sees),
gets the catalog password from a Secret (mounted as a file; never a ConfigMap), has resource
limits, ``activeDeadlineSeconds`` (the execution duration plus ``grace_seconds``: the API
stops the job even while this service is down) and ``ttlSecondsAfterFinished``.

The outcome comes from the API, never from the owner's volume: the worker writes the outcome
document (:mod:`deslab_hub.jobs.outcome`) to ``/dev/termination-log`` and the service reads it
from the pod's status. Once per scheduler round :meth:`KubernetesRunner.refresh` lists the
DESlab Jobs, their pods and the ``FailedCreate`` events of the namespace, so what the service
knows is what the API says, and a restarted service picks every job up again from there:

- a pod that terminated with an outcome ends the job with it (results, sizes, error);
- a pod the API refused (ResourceQuota, an admission policy) ends it in ERROR with the API's
  message, and its Job is deleted; so does a Job the API refused to create;
- a Job failed by its deadline ends in ERROR with the execution-duration message; a pod
  killed for memory or failed otherwise ends in ERROR saying so;
- a Job that succeeded is never "lost": without a readable outcome it completes with an
  unknown result list;
- only a Job that vanished (deleted by someone else, or removed by its TTL while the service
  was down) is lost and re-queued (``lost_worker_retries``).

Creating a Job whose name exists (409) adopts it: the name is the job id, so it is the same
job, created by an earlier attempt or a service that crashed before recording it.
:func:`KubernetesRunner.job_manifest` is pure, so manifests are tested offline.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from traitlets import Bool, Dict, Int, List, Unicode
from traitlets.config import LoggingConfigurable

from deslab_hub.jobs.models import JobRecord
from deslab_hub.jobs.outcome import Outcome, parse_message
from deslab_hub.jobs.runners.base import WorkerHandle, WorkerStatus
from deslab_hub.kubehomes import (
    USERNAME_LABEL,
    colocation_affinity,
    expand_user_template,
    username_label,
)

APP_LABEL = "app.kubernetes.io/name"
APP = "deslab-job"
JOB_ID_LABEL = "deslab.org/job-id"
TERMINATION_LOG = "/dev/termination-log"


def api_reason(exc: BaseException) -> str:
    """The API server's own message in an ``ApiException`` (its Status ``message``)."""
    body = getattr(exc, "body", None)
    if body:
        try:
            message = json.loads(body).get("message")
        except (ValueError, AttributeError):
            message = None
        if message:
            return str(message)
    reason = getattr(exc, "reason", None)
    status = getattr(exc, "status", None)
    return f"{status} {reason}" if status else str(exc)


@dataclass
class JobView:
    """What the API says about one DESlab Job and its pod (one refresh)."""

    uid: str = ""
    deleting: bool = False
    succeeded: bool = False
    failed_reason: str = ""
    failed_message: str = ""
    pod_phase: str = ""
    node: str = ""
    waiting: str = ""
    exit_code: int | None = None
    exit_reason: str = ""
    message: str = ""
    refused: str = ""

    @property
    def ended(self) -> bool:
        return bool(self.succeeded or self.failed_reason or self.refused
                    or self.pod_phase in ("Succeeded", "Failed"))


class KubernetesRunner(LoggingConfigurable):
    """Runs workers as Kubernetes batch/v1 Jobs in the service's namespace."""

    name = "kubernetes"
    #: activeDeadlineSeconds stops a job; the scheduler does not time it itself.
    enforces_execution_duration = True

    namespace = Unicode(
        "default", help="Namespace of the job pods (the chart sets the release's namespace)."
    ).tag(config=True)
    image = Unicode(
        "deslab/notebook:latest",
        help="Image of the job pods: the notebook image, which has ``deslab`` installed.",
    ).tag(config=True)
    image_pull_policy = Unicode("IfNotPresent", help="imagePullPolicy of the job pods.").tag(
        config=True
    )
    image_pull_secrets = List(Unicode(), help="Names of image pull Secrets.").tag(config=True)
    service_account = Unicode(
        "", help="Service account of job pods; its token is never mounted."
    ).tag(config=True)
    pvc_name_template = Unicode(
        "claim-{username}",
        help="""Name of the owner's PersistentVolumeClaim, mounted at ``home_mount_path``;
        expanded exactly as KubeSpawner expands its ``pvc_name_template`` (``{username}`` is
        its safe slug, at most 48 characters, hashed when the name is not safe as it is;
        ``{user_server}`` also works), so the name matches the claim of the user's server.
        For one shared ReadWriteMany claim, give its plain name and set
        ``pvc_sub_path_template``. Empty: no persistent home (``singleuser.storage.type:
        none``): job pods get an emptyDir and their results are not kept, which the job
        says when it completes.""",
    ).tag(config=True)
    pvc_sub_path_template = Unicode(
        "",
        help="""subPath of the owner's home inside the claim, expanded as KubeSpawner expands
        ``volume_mounts`` (``{username}`` for a shared claim); empty: the claim's root.""",
    ).tag(config=True)
    colocate_with_owner = Bool(
        False,
        help="""Give job pods a required pod affinity to the owner's other pods (KubeSpawner's
        ``hub.jupyter.org/username`` label, which job pods carry too) on the same node: a
        ReadWriteOnce home can be attached to one node only, so a job pod lands where the
        owner's server (or another of their jobs) runs, waits in Pending while it cannot,
        and runs anywhere when none does. The chart sets it for ReadWriteOnce homes.""",
    ).tag(config=True)
    kubeconfig = Unicode(
        "",
        help="""kubeconfig file for reaching the Kubernetes API from outside a cluster.
        Empty: the pod's service account (in a cluster), else ``$KUBECONFIG`` or
        ``~/.kube/config``.""",
    ).tag(config=True)
    home_mount_path = Unicode(
        "/home/jovyan", help="Where the owner's volume is mounted in the job pod (their home)."
    ).tag(config=True)
    cpu_request = Unicode("250m", help="CPU request of a job pod.").tag(config=True)
    cpu_limit = Unicode("2", help="CPU limit of a job pod.").tag(config=True)
    memory_request = Unicode("1Gi", help="Memory request of a job pod.").tag(config=True)
    memory_limit = Unicode("4Gi", help="Memory limit of a job pod.").tag(config=True)
    catalog_secret_name = Unicode(
        "",
        help="""Secret holding the catalog password (key ``catalog_secret_key``); mounted
        read-only and named by ``DESLAB_CATALOG_PASSWORD_FILE``. Empty: no password.""",
    ).tag(config=True)
    catalog_secret_key = Unicode("password", help="Key of the password in the Secret.").tag(
        config=True
    )
    environment = Dict(
        help="""Environment of the job pods (``DESLAB_CATALOG``, ``DESLAB_TILES``, ...);
        never put credentials here: use ``catalog_secret_name``.""",
    ).tag(config=True)
    ttl_seconds_after_finished = Int(
        3600, help="Seconds a finished Job object is kept before Kubernetes deletes it."
    ).tag(config=True)
    grace_seconds = Int(
        30,
        help="""Seconds added to the execution duration for activeDeadlineSeconds (which
        counts from the Job's start, so it also covers scheduling and the image pull).""",
    ).tag(config=True)
    run_as_uid = Int(1000, help="User id of the worker (the notebook image's user).").tag(
        config=True
    )
    run_as_gid = Int(100, help="Group id (and fsGroup) of the worker.").tag(config=True)
    node_selector = Dict(help="nodeSelector of the job pods.").tag(config=True)
    tolerations = List(Dict(), help="Tolerations of the job pods.").tag(config=True)
    extra_volumes = List(
        Dict(), help="More volumes of the job pods (e.g. the survey data, read-only)."
    ).tag(config=True)
    extra_volume_mounts = List(
        Dict(), help="Mounts of ``extra_volumes`` in the worker container."
    ).tag(config=True)


    def __init__(self, settings: Any = None, log: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        if log is not None:
            self.log = log
        self._seen: dict[str, JobView] = {}
        self._api: Any = None

    # -- manifests ----------------------------------------------------------------------

    def job_name(self, job_id: str) -> str:
        return f"deslab-job-{job_id}"

    def pod_output_dir(self, job_id: str) -> str:
        return str(PurePosixPath(self.home_mount_path) / "jobs" / job_id)

    def claim_name(self, owner: str) -> str:
        """The owner's claim (KubeSpawner's name for it); empty without persistent homes."""
        return expand_user_template(self.pvc_name_template, owner) if self.pvc_name_template \
            else ""

    def job_manifest(self, job: JobRecord, spec: dict[str, Any]) -> dict[str, Any]:
        """The batch/v1 Job running ``spec`` for ``job``."""
        out = self.pod_output_dir(job.id)
        pod_spec = {**spec, "output_dir": out}
        labels = {
            APP_LABEL: APP,
            "app.kubernetes.io/part-of": "deslab",
            "app.kubernetes.io/component": "job-worker",
            JOB_ID_LABEL: job.id,
            USERNAME_LABEL: username_label(job.owner),
        }
        env = [{"name": k, "value": str(v)} for k, v in sorted(self.environment.items())]
        env += [
            {"name": "HOME", "value": self.home_mount_path},
            {"name": "DESLAB_HOME", "value": self.home_mount_path},
            {"name": "DESLAB_JOB_ID", "value": job.id},
            {"name": "DESLAB_JOB_SPEC", "value": json.dumps(pod_spec)},
            {"name": "PYTHONUNBUFFERED", "value": "1"},
        ]
        home_mount: dict[str, Any] = {"name": "home", "mountPath": self.home_mount_path}
        claim = self.claim_name(job.owner)
        if claim:
            home: dict[str, Any] = {"name": "home",
                                    "persistentVolumeClaim": {"claimName": claim}}
            if self.pvc_sub_path_template:
                home_mount["subPath"] = expand_user_template(self.pvc_sub_path_template,
                                                             job.owner)
        else:
            home = {"name": "home", "emptyDir": {"sizeLimit": self.memory_limit}}
        mounts = [home_mount] + [dict(m) for m in self.extra_volume_mounts]
        volumes: list[dict[str, Any]] = [home] + [dict(v) for v in self.extra_volumes]
        if self.catalog_secret_name:
            mounts.append({"name": "catalog-secret", "mountPath": "/etc/deslab/catalog",
                           "readOnly": True})
            volumes.append({"name": "catalog-secret", "secret": {
                "secretName": self.catalog_secret_name,
                "items": [{"key": self.catalog_secret_key, "path": "password"}],
                "defaultMode": 0o440,
            }})
            env.append({"name": "DESLAB_CATALOG_PASSWORD_FILE",
                        "value": "/etc/deslab/catalog/password"})
        container = {
            "name": "worker",
            "image": self.image,
            "imagePullPolicy": self.image_pull_policy,
            "command": [
                "python", "-m", "deslab.jobs.worker", "--spec-env", "DESLAB_JOB_SPEC",
                "--outcome-file", TERMINATION_LOG, "--grace", "10",
            ],
            "terminationMessagePath": TERMINATION_LOG,
            "terminationMessagePolicy": "File",
            "workingDir": self.home_mount_path,
            "env": env,
            "volumeMounts": mounts,
            "resources": {
                "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
                "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
            },
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "runAsNonRoot": True,
                "runAsUser": self.run_as_uid,
                "runAsGroup": self.run_as_gid,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
        }
        pod: dict[str, Any] = {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "terminationGracePeriodSeconds": 15,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": self.run_as_uid,
                "runAsGroup": self.run_as_gid,
                "fsGroup": self.run_as_gid,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [container],
            "volumes": volumes,
        }
        if claim and self.colocate_with_owner:
            pod["affinity"] = colocation_affinity(labels[USERNAME_LABEL])
        if self.service_account:
            pod["serviceAccountName"] = self.service_account
        if self.image_pull_secrets:
            pod["imagePullSecrets"] = [{"name": n} for n in self.image_pull_secrets]
        if self.node_selector:
            pod["nodeSelector"] = dict(self.node_selector)
        if self.tolerations:
            pod["tolerations"] = list(self.tolerations)
        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": self.job_name(job.id),
                "namespace": self.namespace,
                "labels": labels,
                "annotations": {"deslab.org/owner": job.owner, "deslab.org/type": job.type},
            },
            "spec": {
                "backoffLimit": 0,
                "activeDeadlineSeconds": int(job.execution_duration) + self.grace_seconds,
                "ttlSecondsAfterFinished": self.ttl_seconds_after_finished,
                "template": {"metadata": {"labels": labels}, "spec": pod},
            },
        }

    # -- talking to the API (kubernetes_asyncio) ----------------------------------------

    async def _client(self) -> Any:
        if self._api is None:
            from kubernetes_asyncio import client, config

            if self.kubeconfig:
                await config.load_kube_config(config_file=self.kubeconfig)
            else:
                try:
                    config.load_incluster_config()
                except config.ConfigException:
                    await config.load_kube_config()
            self._api = client.ApiClient()
        return self._api

    async def _batch(self) -> Any:
        from kubernetes_asyncio import client

        return client.BatchV1Api(await self._client())

    async def _core(self) -> Any:
        from kubernetes_asyncio import client

        return client.CoreV1Api(await self._client())

    async def start(self, job: JobRecord, spec: dict[str, Any], env: dict[str, str]
                    ) -> WorkerHandle:
        from kubernetes_asyncio.client.exceptions import ApiException

        batch = await self._batch()
        name = self.job_name(job.id)
        try:
            await batch.create_namespaced_job(self.namespace, self.job_manifest(job, spec))
        except ApiException as exc:
            if exc.status != 409:
                raise RuntimeError(f"Kubernetes refused the job: {api_reason(exc)}") from None
            existing = await batch.read_namespaced_job(name, self.namespace)
            if (existing.metadata.labels or {}).get(JOB_ID_LABEL) != job.id:
                raise RuntimeError(f"a Job named {name} exists that is not this job's; "
                                   "delete it (kubectl delete job) and submit again") from None
            self.log.info("job %s: its Job %s already exists: following it", job.id, name)
        return WorkerHandle(host=socket.gethostname(), pid=None,
                            ref=f"k8s:{self.namespace}/{name}")

    async def refresh(self) -> None:
        """Read every DESlab Job, its pod and refusals from the API (once per round)."""
        batch, core = await self._batch(), await self._core()
        selector = f"{APP_LABEL}={APP}"
        jobs = await batch.list_namespaced_job(self.namespace, label_selector=selector)
        pods = await core.list_namespaced_pod(self.namespace, label_selector=selector)
        events = await core.list_namespaced_event(
            self.namespace, field_selector="involvedObject.kind=Job,reason=FailedCreate")
        refused = {e.involved_object.uid: e.message or "" for e in events.items}
        seen: dict[str, JobView] = {}
        for item in jobs.items:
            job_id = (item.metadata.labels or {}).get(JOB_ID_LABEL)
            if not job_id:
                continue
            view = JobView(uid=item.metadata.uid or "",
                           deleting=item.metadata.deletion_timestamp is not None)
            st = item.status
            for cond in (st.conditions or []) if st else []:
                if cond.status != "True":
                    continue
                if cond.type in ("Complete", "SuccessCriteriaMet"):
                    view.succeeded = True
                elif cond.type in ("Failed", "FailureTarget"):
                    view.failed_reason = cond.reason or "Failed"
                    view.failed_message = cond.message or ""
            if st and st.succeeded:
                view.succeeded = True
            view.refused = refused.get(view.uid, "")
            seen[job_id] = view
        for pod in pods.items:
            view = seen.get((pod.metadata.labels or {}).get(JOB_ID_LABEL, ""))
            if view is None:
                continue
            _read_pod(view, pod)
        self._seen = seen
        for job_id, view in seen.items():
            if view.refused and not view.deleting:  # stop the controller's retries
                self.log.warning("job %s: Kubernetes refused its pod: %s", job_id, view.refused)
                await self._delete_job(job_id, 0)

    def status(self, job: JobRecord) -> WorkerStatus | None:
        view = self._seen.get(job.id)
        if view is None:
            return None
        outcome = parse_message(view.message) if view.message else None
        if outcome is not None:
            return WorkerStatus.from_outcome(self._kept(outcome))
        error = self._failure(job, view)
        if error:
            return WorkerStatus(state="error", progress=0.0, message="failed",
                                heartbeat=time.time(), summary=None, error=error)
        if view.succeeded or view.pod_phase == "Succeeded":  # never "lost"
            return WorkerStatus.from_outcome(Outcome(state="completed", summary={
                "note": "the job completed but its report could not be read; its files are "
                        f"in ~/jobs/{job.id}/"}))
        if view.waiting:
            message = f"waiting: {view.waiting}"[:500]
        elif view.node:
            message = f"running on {view.node}"
        else:
            message = "starting"
        # the API has just seen the Job alive: that is its heartbeat
        return WorkerStatus(state="running", progress=0.0, message=message,
                            heartbeat=time.time(), summary=None, error=None)

    def _kept(self, outcome: Outcome) -> Outcome:
        """Without persistent homes, say that the results are gone (and list none)."""
        if self.pvc_name_template or outcome.state != "completed":
            return outcome
        note = (f"this installation keeps no job results (no persistent home storage): the "
                f"{outcome.files} result files were discarded with the job's pod")
        return Outcome(state="completed", summary={**outcome.summary, "note": note},
                       files=0, bytes=0)

    def _failure(self, job: JobRecord, view: JobView) -> str:
        """Why the API says the job failed, in words; empty if it did not."""
        if view.refused:
            return (f"Kubernetes refused to start the job's pod: {view.refused}. Ask the "
                    "operators to raise the namespace's quota or to allow the pod, then submit "
                    "the job again")
        if view.failed_reason == "DeadlineExceeded":
            return (f"the job ran longer than its execution duration of "
                    f"{job.execution_duration} s and was stopped; submit it again with a "
                    "larger execution_duration or ask for less")
        if view.exit_reason == "OOMKilled":
            return (f"the job ran out of memory (limit {self.memory_limit}) and was stopped; "
                    "ask for less (a row cap, fewer columns) or ask the operators for more")
        if view.pod_phase == "Failed" or view.failed_reason:
            how = f"exit code {view.exit_code}" if view.exit_code is not None else \
                (view.failed_message or view.failed_reason or "no exit code")
            reason = f", {view.exit_reason}" if view.exit_reason else ""
            return f"the job's pod failed ({how}{reason}) without a report; submit it again"
        return ""

    def alive(self, job: JobRecord) -> bool | None:
        view = self._seen.get(job.id)
        return view is not None and not view.ended and not view.deleting

    def exit_reason(self, job: JobRecord) -> str:
        return "the job's Kubernetes Job disappeared (deleted, or removed after its TTL)"

    async def _delete_job(self, job_id: str, grace: int | None) -> None:
        """Delete the Job; the garbage collector deletes its pods (propagation)."""
        from kubernetes_asyncio.client.exceptions import ApiException

        batch = await self._batch()
        try:
            await batch.delete_namespaced_job(
                self.job_name(job_id), self.namespace, propagation_policy="Background",
                grace_period_seconds=grace,
            )
        except ApiException as exc:
            if exc.status != 404:
                raise

    async def terminate(self, job: JobRecord) -> None:
        await self._delete_job(job.id, None)  # the pod gets SIGTERM and its grace period

    async def kill(self, job: JobRecord) -> None:
        await self._delete_job(job.id, 0)  # its pods keep their own grace period

    def forget(self, job: JobRecord) -> None:
        self._seen.pop(job.id, None)

    async def aclose(self) -> None:
        """Close the API client's connections."""
        if self._api is not None:
            await self._api.close()
            self._api = None


def _read_pod(view: JobView, pod: Any) -> None:
    """Fold what a pod's status says into ``view`` (the last pod of the Job wins)."""
    st = pod.status
    if st is None:
        return
    view.pod_phase = st.phase or view.pod_phase
    view.node = pod.spec.node_name or view.node
    for cond in st.conditions or []:
        if cond.type == "PodScheduled" and cond.status == "False" and cond.message:
            view.waiting = cond.message
    for cs in st.container_statuses or []:
        if cs.name != "worker" or cs.state is None:
            continue
        term = cs.state.terminated
        if term is not None:
            view.exit_code = term.exit_code
            view.exit_reason = term.reason or ""
            view.message = term.message or ""
        elif cs.state.waiting is not None and cs.state.waiting.message:
            view.waiting = cs.state.waiting.message
