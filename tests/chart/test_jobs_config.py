"""The job service's configuration the chart renders, loaded by the real job runner.

The ConfigMap's ``jobs_config.json`` is what the job service loads
(``DESLAB_JOBS_CONFIG_FILE``); the KubernetesRunner configured from it must make batch/v1
Jobs that validate strictly, mount the owner's volume and the catalog password as a file,
carry no credential, and are selected by the chart's NetworkPolicy for job workers.
"""

from __future__ import annotations

import json
from pathlib import Path

import kubernetes_validate
import pytest
from deslab_hub.jobs.models import JobRecord
from deslab_hub.jobs.runners.kubernetes import KubernetesRunner
from traitlets.config.loader import JSONFileConfigLoader

from tests.chart.chart_helpers import (
    CASES,
    KUBE_VERSION,
    NAMESPACE,
    NOTEBOOK_IMAGE,
    SENTINELS,
    find,
)


@pytest.mark.parametrize("case", ["defaults", "everything", "openstack"])
def test_job_pods_from_chart_config(case: str, rendered: dict, tmp_path: Path) -> None:
    docs = rendered[case]
    cm = find(docs, "ConfigMap", "-jobs-config")
    (tmp_path / "jobs_config.json").write_text(cm["data"]["jobs_config.json"])
    config = JSONFileConfigLoader("jobs_config.json", path=str(tmp_path)).load_config()
    runner = KubernetesRunner(config=config)
    job = JobRecord(id="a1b2c3d4", owner="alice", type="query", execution_duration=600,
                    output_dir="/home/jovyan/jobs/a1b2c3d4")
    manifest = runner.job_manifest(job, {"type": "query", "params": {"sql": "SELECT 1"}})
    kubernetes_validate.validate(manifest, KUBE_VERSION, strict=True)

    assert manifest["metadata"]["namespace"] == NAMESPACE
    pod = manifest["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == NOTEBOOK_IMAGE
    assert pod["automountServiceAccountToken"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["DESLAB_HOME"] == "/home/jovyan"
    assert "a1b2c3d4" in env["DESLAB_JOB_SPEC"]
    for secret in SENTINELS.values():
        assert secret not in json.dumps(manifest)
    oracle = CASES[case].get("catalog", {}).get("oracle")
    volumes = {v["name"]: v for v in pod["volumes"]}
    if oracle:
        assert env["DESLAB_CATALOG"] == "oracle://des_reader@desoracle.example.org:1521/dessci"
        assert env["DESLAB_CATALOG_PASSWORD_FILE"] == "/etc/deslab/catalog/password"
        assert volumes["catalog-secret"]["secret"]["secretName"] == (
            oracle.get("existingSecret") or "dl-deslab-catalog")
    else:
        assert "DESLAB_CATALOG" not in env and "catalog-secret" not in volumes
    home = [m for m in container["volumeMounts"] if m["name"] == "home"][0]
    assert home["mountPath"] == "/home/jovyan"
    if CASES[case].get("singleuser", {}).get("storage", {}).get("type") == "shared":
        assert volumes["home"]["persistentVolumeClaim"]["claimName"] == "deslab-homes"
        assert home["subPath"] == "alice"
    else:
        assert volumes["home"]["persistentVolumeClaim"]["claimName"] == "claim-alice"
        assert "subPath" not in home
    data = CASES[case].get("catalog", {}).get("data", {}).get("existingClaim")
    if data:
        assert volumes["survey-data"]["persistentVolumeClaim"] == {"claimName": data,
                                                                   "readOnly": True}
        assert {"name": "survey-data", "mountPath": "/srv/deslab/data", "readOnly": True} in (
            container["volumeMounts"])
        assert env["DESLAB_TILES"] == "/srv/deslab/data/tiles"
    else:
        assert "survey-data" not in volumes

    # the chart's policy for job workers selects these pods
    pol = find(docs, "NetworkPolicy", "-job-workers")
    labels = manifest["spec"]["template"]["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in pol["spec"]["podSelector"]["matchLabels"].items())
    # and the job service may create them
    role = find(docs, "Role", "-jobs")
    batch = [r for r in role["rules"] if r["apiGroups"] == ["batch"]][0]
    assert {"create", "list", "delete"} <= set(batch["verbs"])
