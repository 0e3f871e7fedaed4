"""The chart's whole Helm lifecycle against the live API, for every value set of the chart tests.

Install, upgrade, rollback, ``helm test`` and uninstall with the Helm SDK: the API server
admits every object, ``lookup`` keeps the generated secrets, the test pod is created (kwok
plays its run), and uninstall leaves only the volumes an operator keeps.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

import dask_kubernetes
import helm_python as helm
import kubernetes.client
import pytest
import yaml
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.resource import ResourceList

from tests.chart.chart_helpers import CASES, CHART, with_images
from tests.cluster.live_api import LiveCluster

pytestmark = pytest.mark.cluster

DASK_CRDS = (Path(dask_kubernetes.__file__).parent / "operator" / "deployment" / "helm"
             / "dask-kubernetes-operator" / "crds")
#: What a namespace holds by itself (made by the controllers, not by the release).
NAMESPACE_OWN = {("ServiceAccount", "default"), ("ConfigMap", "kube-root-ca.crt")}
#: Records, not objects of the release.
NOT_OBJECTS = {"Event", "EndpointSlice", "Endpoints"}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _objects(manifest: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(manifest) if d]


def _leftovers(dynamic: DynamicClient, namespace: str) -> set[tuple[str, str]]:
    """(kind, name) of everything the namespace still holds, every listable resource type."""
    found = set()
    for resource in dynamic.resources.search():
        if (isinstance(resource, ResourceList) or not resource.namespaced or "/" in resource.name
                or "list" not in (resource.verbs or []) or resource.kind in NOT_OBJECTS):
            continue
        if resource.preferred is False:
            continue
        try:
            items = resource.get(namespace=namespace).items
        except ApiException as exc:
            if exc.status in (404, 405):
                continue
            raise
        found |= {(resource.kind, item.metadata.name) for item in items}
    return found - NAMESPACE_OWN


def _hub_checksum(apps: kubernetes.client.AppsV1Api, namespace: str, fullname: str) -> str:
    deployment = apps.read_namespaced_deployment(f"{fullname}-hub", namespace)
    return deployment.spec.template.metadata.annotations["checksum/config"]


def _run_helm_test(cluster: LiveCluster, config: helm.Config, release: str, namespace: str,
                   pod: str) -> None:
    """``helm test``: the SDK creates the test pod and waits for it; kwok ends it as
    succeeded once it runs (nothing executes here)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = config.test(release, timeout=180)
        except BaseException as exc:  # reported below, in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    cluster.wait_pod_phase(namespace, pod, {"Running"}, timeout=120)
    cluster.succeed_pod(namespace, pod, wait=False)  # helm deletes it once it succeeded
    thread.join(200)
    assert not thread.is_alive(), "helm test did not return"
    assert "error" not in outcome, f"helm test failed: {outcome.get('error')}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_install_upgrade_rollback_test_uninstall(case, kube_cluster: LiveCluster):
    values = with_images(CASES[case])
    if values.get("dask", {}).get("enabled"):
        kube_cluster.install_crds([yaml.safe_load((DASK_CRDS / f"{name}.yaml").read_text())
                                   for name in ("daskcluster", "daskworkergroup",
                                                "daskautoscaler", "daskjob")])
    namespace = kube_cluster.create_namespace(f"chart-{case}")
    release = f"r-{case}"
    fullname = f"{release}-deslab"
    admin = kube_cluster.admin_client()
    dynamic = DynamicClient(admin)
    core = kubernetes.client.CoreV1Api(admin)
    apps = kubernetes.client.AppsV1Api(admin)
    config = helm.Config(kubeconfig_path=kube_cluster.kubeconfig, namespace=namespace)
    try:
        # Install: every object of the manifest is admitted and readable back.
        installed = config.install(CHART, release, values, namespace=namespace, timeout=120)
        objects = _objects(installed["manifest"])
        assert objects
        for obj in objects:
            api = dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
            live = api.get(name=obj["metadata"]["name"],
                           namespace=namespace if api.namespaced else None)
            assert live.metadata.name == obj["metadata"]["name"]
        # The controllers act on what was installed: the Deployments get their pods.
        kube_cluster.wait_for(
            lambda: core.list_namespaced_pod(
                namespace, label_selector=f"app.kubernetes.io/instance={release},"
                                          "app.kubernetes.io/component=proxy").items,
            "the proxy Deployment's pod", 60)

        generated = not values.get("hub", {}).get("existingSecret")
        secret_name = f"{fullname}-hub-secret"
        first = core.read_namespaced_secret(secret_name, namespace).data if generated else None
        checksum_1 = _hub_checksum(apps, namespace, fullname)

        # Upgrade with a changed value: the hub's configuration changes, the secrets do not.
        changed = _merge(values, {"hub": {"debug": not values.get("hub", {}).get("debug")}})
        config.upgrade(CHART, release, changed, namespace=namespace, timeout=120)
        assert _hub_checksum(apps, namespace, fullname) != checksum_1
        if generated:
            assert core.read_namespaced_secret(secret_name, namespace).data == first

        # Rollback to the first revision: its configuration is back, the secrets unchanged.
        config.rollback(release, version=1, timeout=120)
        assert _hub_checksum(apps, namespace, fullname) == checksum_1
        if generated:
            assert core.read_namespaced_secret(secret_name, namespace).data == first
        assert [r["revision"] for r in config.history(release)] == [1, 2, 3]

        # helm test: its pod is admitted, runs (kwok) and is removed when it succeeded.
        test_pod = f"{fullname}-test-hub"
        _run_helm_test(kube_cluster, config, release, namespace, test_pod)
        kube_cluster.wait_for(lambda: not _exists(core.read_namespaced_pod, test_pod, namespace),
                              "the succeeded test pod to be deleted", 60)

        # Uninstall: nothing is left but the volumes marked helm.sh/resource-policy: keep.
        kept = {(o["kind"], o["metadata"]["name"]) for o in objects
                if (o["metadata"].get("annotations") or {}).get("helm.sh/resource-policy")
                == "keep"}
        assert all(kind == "PersistentVolumeClaim" for kind, _ in kept), kept
        config.uninstall(release, timeout=120)
        kube_cluster.wait_for(lambda: _leftovers(dynamic, namespace) == kept,
                              f"only {sorted(kept)} to be left in {namespace}", 120)
        cluster_scoped = [o for o in objects
                          if not dynamic.resources.get(api_version=o["apiVersion"],
                                                       kind=o["kind"]).namespaced]
        for obj in cluster_scoped:
            api = dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
            assert not _exists(api.get, name=obj["metadata"]["name"]), obj["metadata"]["name"]
    finally:
        config.close()
        kube_cluster.delete_namespace(namespace)


def _exists(read, *args, **kwargs) -> bool:
    try:
        read(*args, **kwargs)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def test_an_install_without_images_stops_before_creating_anything(kube_cluster):
    namespace = kube_cluster.create_namespace("noimages")
    with helm.Config(kubeconfig_path=kube_cluster.kubeconfig, namespace=namespace) as cfg:
        with pytest.raises(helm.HelmError) as failed:
            cfg.install(CHART, "dl", {}, namespace=namespace, timeout=60)
        assert "hub.image.repository" in str(failed.value)
        assert "make images REGISTRY=" in str(failed.value)
        assert cfg.list(all_states=True) == []
    dynamic = DynamicClient(kube_cluster.admin_client())
    assert _leftovers(dynamic, namespace) == set()
    kube_cluster.delete_namespace(namespace)


def test_generated_secrets_differ_per_install_and_a_missing_key_is_added(kube_cluster):
    core = kubernetes.client.CoreV1Api(kube_cluster.admin_client())
    data = {}
    for which in ("a", "b"):
        namespace = kube_cluster.create_namespace(f"secrets-{which}")
        with helm.Config(kubeconfig_path=kube_cluster.kubeconfig, namespace=namespace) as cfg:
            cfg.install(CHART, "dl", with_images({}), namespace=namespace, timeout=120)
            data[which] = (namespace, core.read_namespaced_secret("dl-deslab-hub-secret",
                                                                 namespace).data)
    # Each install generates its own values.
    assert data["a"][1] != data["b"][1]
    assert all(data["a"][1][k] != data["b"][1][k] for k in data["a"][1])

    # A key missing from the live Secret (made by an older chart) is generated on upgrade,
    # and every other key is kept as it is.
    namespace, old = data["a"]
    core.patch_namespaced_secret("dl-deslab-hub-secret", namespace,
                                 [{"op": "remove", "path": "/data/culler-api-token"}])
    with helm.Config(kubeconfig_path=kube_cluster.kubeconfig, namespace=namespace) as cfg:
        cfg.upgrade(CHART, "dl", with_images({}), namespace=namespace, timeout=120)
    upgraded = core.read_namespaced_secret("dl-deslab-hub-secret", namespace).data
    for key in ("cookie-secret", "proxy-token", "jobs-api-token"):
        assert upgraded[key] == old[key]
    assert upgraded["culler-api-token"] and upgraded["culler-api-token"] != old[
        "culler-api-token"]
    for which in ("a", "b"):
        kube_cluster.delete_namespace(data[which][0])
