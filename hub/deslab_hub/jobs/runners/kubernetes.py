"""The kubernetes runner: each job as a batch/v1 Job running the notebook image.

The pod runs ``python -m deslab.jobs.worker`` with the job's spec in its environment, mounts
the owner's volume (their home, so results land in ``~/jobs/<id>/``), gets the catalog
password from a Secret (mounted as a file; never a ConfigMap), has resource limits,
``activeDeadlineSeconds`` (the job's execution duration plus the cancel grace) and
``ttlSecondsAfterFinished``. The worker's status file is ``~/jobs/<id>/.deslab-status.json``;
the service reads it where it mounts the users' volumes (``home_dir_template``) and otherwise
relies on the Job's status. :func:`job_manifest` is pure, so manifests are tested offline.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path, PurePosixPath
from typing import Any

from traitlets import Dict, Int, List, Unicode
from traitlets.config import Configurable

from deslab_hub.jobs.models import JobRecord
from deslab_hub.jobs.runners.base import WorkerHandle, WorkerStatus, read_status

STATUS_NAME = ".deslab-status.json"
LABEL_VALUE = re.compile(r"[^A-Za-z0-9_.-]")


def user_slug(username: str) -> str:
    """The user name as KubeSpawner writes it into object names (its "safe" slug)."""
    from kubespawner.slugs import safe_slug

    return safe_slug(username)


def label_value(text: str) -> str:
    """``text`` made into a valid label value (at most 63 characters)."""
    value = LABEL_VALUE.sub("-", text)[:63].strip("-_.")
    return value or "x"


class KubernetesRunner(Configurable):
    """Runs workers as Kubernetes batch/v1 Jobs in the service's namespace."""

    name = "kubernetes"

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
        ``{username}`` is expanded to KubeSpawner's safe slug of the user name, so the name
        matches the claim of the user's server. For one shared ReadWriteMany claim, give its
        plain name and set ``pvc_sub_path_template``.""",
    ).tag(config=True)
    pvc_sub_path_template = Unicode(
        "",
        help="""subPath of the owner's home inside the claim (``{username}`` expanded to the
        safe slug), e.g. ``{username}`` for a shared claim; empty: the claim's root.""",
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
        30, help="Seconds added to the execution duration for activeDeadlineSeconds."
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
        self._jobs: dict[str, dict[str, Any]] = {}
        self._api: Any = None

    # -- manifests ----------------------------------------------------------------------

    def job_name(self, job_id: str) -> str:
        return f"deslab-job-{job_id}"

    def pod_output_dir(self, job_id: str) -> str:
        return str(PurePosixPath(self.home_mount_path) / "jobs" / job_id)

    def job_manifest(self, job: JobRecord, spec: dict[str, Any]) -> dict[str, Any]:
        """The batch/v1 Job running ``spec`` for ``job``."""
        out = self.pod_output_dir(job.id)
        pod_spec = {**spec, "output_dir": out}
        labels = {
            "app.kubernetes.io/name": "deslab-job",
            "app.kubernetes.io/part-of": "deslab",
            "app.kubernetes.io/component": "job-worker",
            "deslab.org/job-id": job.id,
            "deslab.org/owner": label_value(job.owner),
        }
        env = [{"name": k, "value": str(v)} for k, v in sorted(self.environment.items())]
        env += [
            {"name": "HOME", "value": self.home_mount_path},
            {"name": "DESLAB_HOME", "value": self.home_mount_path},
            {"name": "DESLAB_JOB_ID", "value": job.id},
            {"name": "DESLAB_JOB_SPEC", "value": json.dumps(pod_spec)},
            {"name": "PYTHONUNBUFFERED", "value": "1"},
        ]
        slug = user_slug(job.owner)
        home_mount: dict[str, Any] = {"name": "home", "mountPath": self.home_mount_path}
        if self.pvc_sub_path_template:
            home_mount["subPath"] = self.pvc_sub_path_template.format(username=slug)
        mounts = [home_mount] + [dict(m) for m in self.extra_volume_mounts]
        volumes: list[dict[str, Any]] = [{
            "name": "home",
            "persistentVolumeClaim": {"claimName": self.pvc_name_template.format(username=slug)},
        }]
        volumes += [dict(v) for v in self.extra_volumes]
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
                "--status", f"{out}/{STATUS_NAME}", "--grace", "10",
            ],
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

    # -- talking to the cluster (kubernetes_asyncio, in-cluster configuration) -----------

    async def _batch(self) -> Any:
        if self._api is None:
            from kubernetes_asyncio import client, config

            config.load_incluster_config()
            self._api = client.BatchV1Api()
        return self._api

    async def start(self, job: JobRecord, spec: dict[str, Any], env: dict[str, str]
                    ) -> WorkerHandle:
        api = await self._batch()
        await api.create_namespaced_job(self.namespace, self.job_manifest(job, spec))
        self._jobs[job.id] = {"active": 1}
        return WorkerHandle(host=socket.gethostname(), pid=None,
                            ref=f"k8s:{self.namespace}/{self.job_name(job.id)}")

    async def refresh(self) -> None:
        """Read the state of every DESlab Job in the namespace (once per scheduler round)."""
        api = await self._batch()
        jobs = await api.list_namespaced_job(
            self.namespace, label_selector="app.kubernetes.io/name=deslab-job"
        )
        seen: dict[str, dict[str, Any]] = {}
        for item in jobs.items:
            job_id = (item.metadata.labels or {}).get("deslab.org/job-id")
            if job_id:
                st = item.status
                seen[job_id] = {"active": st.active or 0, "succeeded": st.succeeded or 0,
                                "failed": st.failed or 0}
        self._jobs = seen

    def status(self, job: JobRecord) -> WorkerStatus | None:
        return read_status(Path(job.output_dir) / STATUS_NAME)

    def alive(self, job: JobRecord) -> bool | None:
        st = self._jobs.get(job.id)
        if st is None:
            return None
        return not (st.get("succeeded") or st.get("failed"))

    def exit_reason(self, job: JobRecord) -> str:
        st = self._jobs.get(job.id) or {}
        if st.get("failed"):
            return "the job's pod failed (deadline exceeded, evicted or out of memory)"
        return "the job's pod is gone"

    async def _delete(self, job: JobRecord, grace: int) -> None:
        api = await self._batch()
        try:
            await api.delete_namespaced_job(
                self.job_name(job.id), self.namespace, propagation_policy="Background",
                grace_period_seconds=grace,
            )
        except Exception as exc:  # already gone
            self.log.info("deleting Job of %s: %s", job.id, exc)

    async def terminate(self, job: JobRecord) -> None:
        await self._delete(job, 10)

    async def kill(self, job: JobRecord) -> None:
        await self._delete(job, 0)

    def forget(self, job: JobRecord) -> None:
        self._jobs.pop(job.id, None)
