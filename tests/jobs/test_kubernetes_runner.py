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
