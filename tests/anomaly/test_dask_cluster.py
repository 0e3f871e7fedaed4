"""``deslab.dask.cluster()``: the Kubernetes spec (validated offline) and the local cluster."""

from __future__ import annotations

import copy
import subprocess
import sys
import time
from pathlib import Path

import dask_kubernetes
import deslab.dask as ddask
import jsonschema
import kubernetes_validate
import psutil
import pytest
import yaml
from deslab.daskcluster import DaskClusterError, PodIdentity, pod_identity
from deslab.errors import ConfigurationError

K8S_VERSION = kubernetes_validate.utils.latest_version()
SPAWNER_ENV = {
    "DESLAB_DASK_IMAGE": "registry.example.org/deslab/notebook:1.2.3",
    "DESLAB_DASK_MAX_WORKERS": "6",
    "DESLAB_DASK_WORKER_CORES": "2",
    "DESLAB_DASK_WORKER_MEMORY": "6Gi",
    "DESLAB_DASK_NAMESPACE": "deslab-users",
    "JUPYTERHUB_USER": "Alice.Smith@uni.edu",
    "DESLAB_CATALOG": "oracle://reader@db.example.org:1521/desdr",
    "DESLAB_DASK_SERVICE_ACCOUNT": "dl-deslab-dask-pods",
    "DESLAB_DASK_PRIORITY_CLASS": "deslab-users-dl-deslab-dask",
    "DESLAB_DASK_RELEASE": "dl",
    "DESLAB_DASK_UID": "1000",
    "DESLAB_DASK_GID": "100",
}
OWNER = PodIdentity("deslab-users", "jupyter-alice-smith-uni-edu---7c3f1b2a",
                    "0b6c2f9e-3d7a-4c55-9a61-2f0e8d4b7a10")


def daskcluster_schema() -> dict:
    """The DaskCluster CRD schema shipped with dask-kubernetes; Pod and Service specs are
    checked separately against the Kubernetes schema."""
    root = Path(dask_kubernetes.__file__).parent / "operator" / "customresources"
    text = (root / "templates.yaml").read_text()
    text = text.replace(
        "python://dask_kubernetes/operator/customresources/templates.yaml#", "#"
    )
    defs = yaml.safe_load(text)["definitions"]
    for d in defs.values():
        for prop in d.get("properties", {}).values():
            if "$ref" in prop and prop["$ref"].startswith("python://k8s_crd_resolver"):
                prop.pop("$ref")
                prop["type"] = "object"
    return {"definitions": defs, "$ref": "#/definitions/dask.k8s.api.v1.DaskCluster"}


def test_kubernetes_spec_is_a_valid_daskcluster() -> None:
    spec = ddask.kube_cluster_spec(environ=SPAWNER_ENV, owner=OWNER)
    assert spec["apiVersion"] == "kubernetes.dask.org/v1" and spec["kind"] == "DaskCluster"
    jsonschema.validate(spec, daskcluster_schema())
    meta = spec["metadata"]
    for part in ("worker", "scheduler"):
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"{meta['name']}-{part}", "namespace": meta["namespace"],
                         **spec["spec"][part]["metadata"]},
            "spec": spec["spec"][part]["spec"],
        }
        kubernetes_validate.validate(pod, K8S_VERSION, strict=True)
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
        "spec": spec["spec"]["scheduler"]["service"],
    }
    kubernetes_validate.validate(service, K8S_VERSION, strict=True)


def test_kubernetes_spec_follows_the_spawner_environment() -> None:
    spec = ddask.kube_cluster_spec(n_workers=3, environ=SPAWNER_ENV, owner=OWNER)
    meta = spec["metadata"]
    assert meta["namespace"] == "deslab-users"
    # one cluster per server, named after its pod's uid, owned (and garbage-collected) by it
    assert meta["name"] == f"dask-{OWNER.uid}"
    assert meta["ownerReferences"] == [{"apiVersion": "v1", "kind": "Pod", "name": OWNER.name,
                                        "uid": OWNER.uid}]
    labels = {"app.kubernetes.io/part-of": "deslab", "app.kubernetes.io/component": "dask",
              "deslab.org/release": "dl", "deslab.org/dask-owner": OWNER.name}
    assert meta["labels"] == labels
    worker = spec["spec"]["worker"]
    assert worker["replicas"] == 3
    container = worker["spec"]["containers"][0]
    assert container["image"] == SPAWNER_ENV["DESLAB_DASK_IMAGE"]
    assert container["resources"]["limits"] == {"cpu": "2", "memory": "6Gi"}
    assert container["args"][:6] == ["dask", "worker", "--nthreads", "2", "--memory-limit",
                                      str(6 * 2**30)]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["DESLAB_CATALOG"] == SPAWNER_ENV["DESLAB_CATALOG"]
    scheduler = spec["spec"]["scheduler"]
    assert scheduler["spec"]["containers"][0]["args"][:2] == ["dask", "scheduler"]
    # the scheduler service selects the scheduler pod the operator labels
    assert scheduler["service"]["selector"] == {"dask.org/cluster-name": meta["name"],
                                                "dask.org/component": "scheduler"}
    assert scheduler["service"]["type"] == "ClusterIP"
    # Dask pods get the user servers' hardening and the chart's pinned identity
    for part in (scheduler, worker):
        assert part["metadata"] == {"labels": labels}
        pod = part["spec"]
        assert pod["serviceAccountName"] == "dl-deslab-dask-pods"
        assert pod["automountServiceAccountToken"] is False
        assert pod["priorityClassName"] == "deslab-users-dl-deslab-dask"
        assert pod["securityContext"] == {"runAsNonRoot": True, "runAsUser": 1000,
                                          "runAsGroup": 100, "fsGroup": 100,
                                          "seccompProfile": {"type": "RuntimeDefault"}}
        assert [v for v in pod["volumes"] if set(v) != {"name", "emptyDir"}] == []
        for c in pod["containers"]:
            assert c["securityContext"] == {"allowPrivilegeEscalation": False,
                                            "capabilities": {"drop": ["ALL"]},
                                            "runAsNonRoot": True,
                                            "seccompProfile": {"type": "RuntimeDefault"}}
            assert all(set(e) == {"name", "value"} for e in c["env"])


def test_pod_identity_comes_from_the_bound_token() -> None:
    import base64
    import json

    claims = {"kubernetes.io": {"namespace": "ns", "pod": {"name": "jupyter-bob", "uid": "u2"},
                                "serviceaccount": {"name": "sa", "uid": "s"}}}
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert pod_identity(f"e30.{body}.sig") == PodIdentity("ns", "jupyter-bob", "u2")
    unbound = base64.urlsafe_b64encode(b'{"kubernetes.io": {"namespace": "ns"}}').decode()
    with pytest.raises(DaskClusterError, match="not bound to its pod"):
        pod_identity(f"e30.{unbound}.sig")
    with pytest.raises(DaskClusterError, match="dask.enabled"):
        pod_identity("not-a-token")


def test_kubernetes_spec_caps_and_bad_settings() -> None:
    with pytest.raises(ConfigurationError, match="0 to 6"):
        ddask.kube_cluster_spec(n_workers=7, environ=SPAWNER_ENV, owner=OWNER)
    env = dict(SPAWNER_ENV, DESLAB_DASK_MAX_WORKERS="lots")
    with pytest.raises(ConfigurationError, match="DESLAB_DASK_MAX_WORKERS"):
        ddask.kube_cluster_spec(environ=env, owner=OWNER)
    env = dict(SPAWNER_ENV, DESLAB_DASK_WORKER_MEMORY="plenty")
    with pytest.raises(ConfigurationError, match="DESLAB_DASK_WORKER_MEMORY"):
        ddask.kube_cluster_spec(environ=env, owner=OWNER)
    env = {k: v for k, v in SPAWNER_ENV.items() if k != "DESLAB_DASK_IMAGE"}
    with pytest.raises(ConfigurationError, match="DESLAB_DASK_IMAGE"):
        ddask.kube_cluster_spec(environ=env, owner=OWNER)
    env["JUPYTER_IMAGE_SPEC"] = "quay.io/x/nb:2"  # KubeSpawner's own variable is used then
    worker = ddask.kube_cluster_spec(environ=env, owner=OWNER)["spec"]["worker"]
    assert worker["spec"]["containers"][0]["image"] == "quay.io/x/nb:2"
    with pytest.raises(ConfigurationError, match="valid modes: local, kubernetes"):
        ddask.mode({"DESLAB_DASK_MODE": "yarn"})
    assert ddask.mode(SPAWNER_ENV) == "kubernetes" and ddask.mode({}) == "local"


def test_invalid_spec_is_caught_by_the_validation() -> None:
    # the validation used above is not a rubber stamp
    spec = ddask.kube_cluster_spec(environ=SPAWNER_ENV, owner=OWNER)
    broken = copy.deepcopy(spec)
    broken["spec"]["worker"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = [1]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
           "spec": broken["spec"]["worker"]["spec"]}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(pod, K8S_VERSION, strict=True)
    del broken["spec"]["scheduler"]["service"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, daskcluster_schema())


LEFT_OPEN = """
import os
os.environ["DESLAB_DASK_MAX_WORKERS"] = "2"
import deslab.dask
from distributed import Client
cluster = deslab.dask.cluster()
client = Client(cluster)
print(client.submit(sum, [1, 2, 3]).result(), flush=True)
print(" ".join(str(p) for p in client.run(os.getpid).values()), flush=True)
# no close: the kernel just exits
"""


@pytest.mark.slow
def test_local_cluster_works_and_is_closed_when_the_kernel_exits() -> None:
    run = subprocess.run(
        [sys.executable, "-c", LEFT_OPEN], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.split("\n")
    assert lines[0] == "6"
    pids = [int(p) for p in lines[1].split()]
    assert len(pids) == 2
    deadline = time.time() + 15
    while time.time() < deadline and any(psutil.pid_exists(p) for p in pids):
        time.sleep(0.2)
    alive = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
    assert not alive, f"worker processes left running: {alive}"


def test_local_cluster_respects_the_cap(monkeypatch) -> None:
    monkeypatch.setenv("DESLAB_DASK_MAX_WORKERS", "2")
    monkeypatch.delenv("DESLAB_DASK_IMAGE", raising=False)
    monkeypatch.delenv("DESLAB_DASK_MODE", raising=False)
    with pytest.raises(ConfigurationError, match="0 to 2"):
        ddask.cluster(n_workers=3)


def test_local_cluster_of_threads_in_the_kernel(monkeypatch) -> None:
    from distributed import Client

    monkeypatch.setenv("DESLAB_DASK_MAX_WORKERS", "2")
    monkeypatch.delenv("DESLAB_DASK_IMAGE", raising=False)
    monkeypatch.delenv("DESLAB_DASK_MODE", raising=False)
    cluster = ddask.cluster(processes=False)
    try:
        with Client(cluster) as client:
            assert len(client.scheduler_info()["workers"]) == 2
            assert client.submit(sum, [1, 2]).result() == 3
    finally:
        cluster.close()
