"""The chart's Dask access objects in the live API, and user servers with real pod-bound tokens.

Used by tests/cluster/test_dask_access.py: :func:`install_dask_crds` installs the DaskCluster
and DaskWorkerGroup CRDs that the dask-kubernetes wheel ships (the operator's own Helm chart
inside it), :func:`apply_release` renders the chart with the Helm SDK and creates what
decides who may do what (service accounts, RBAC, admission policies, PriorityClass, quotas,
NetworkPolicies, Secrets), and :func:`user_server` creates a user server's pod as KubeSpawner
would and mints the token the kubelet would mount into it (TokenRequest bound to the pod).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dask_kubernetes
import kubernetes.client
import yaml
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient

from tests.chart.chart_helpers import render
from tests.cluster.live_api import ISSUER, LiveCluster

CRD_DIR = (Path(dask_kubernetes.__file__).parent / "operator" / "deployment" / "helm"
           / "dask-kubernetes-operator" / "crds")
#: What decides access; workloads (Deployments, the test pod) are the install tests' business.
ACCESS_KINDS = {"ServiceAccount", "Role", "RoleBinding", "ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding", "PriorityClass", "ResourceQuota",
                "NetworkPolicy", "Secret", "ConfigMap"}
IMAGE = "registry.example.org/deslab/notebook:1.2.3"


def install_dask_crds(cluster: LiveCluster, extra: tuple[str, ...] = ()) -> None:
    """Create the operator's DaskCluster and DaskWorkerGroup CRDs (and ``extra`` ones, e.g.
    ``daskautoscaler`` for the operator itself) once, and wait until the API serves them and
    the quota controller counts them."""
    cluster.install_crds([yaml.safe_load((CRD_DIR / f"{name}.yaml").read_text())
                          for name in ("daskcluster", "daskworkergroup", *extra)])
    _wait_quota_discovery(cluster)


def _wait_quota_discovery(cluster: LiveCluster, timeout: float = 240) -> None:
    """Wait until the quota controller counts DaskClusters (its discovery runs every 30 s).

    A quota made before that never counts them until the controller's full resync (5 min),
    and the API refuses every DaskCluster it covers meanwhile; so probe with fresh quotas.
    """
    core = kubernetes.client.CoreV1Api(cluster.admin_client())
    ns = cluster.create_namespace("quota-probe")
    key = "count/daskclusters.kubernetes.dask.org"
    attempt = [0]

    def counted() -> bool:
        attempt[0] += 1
        name = f"probe-{attempt[0]}"
        core.create_namespaced_resource_quota(ns, {"metadata": {"name": name},
                                                   "spec": {"hard": {key: "1"}}})
        for _ in range(10):
            status = core.read_namespaced_resource_quota(name, ns).status
            if status and status.used and key in status.used:
                return True
            time.sleep(0.5)
        core.delete_namespaced_resource_quota(name, ns)
        return False

    try:
        cluster.wait_for(counted, "the quota controller to discover DaskClusters", timeout)
    finally:
        cluster.delete_namespace(ns)


def dask_values(**dask: Any) -> dict[str, Any]:
    """Chart values with Dask on (small caps, so the tests reach them)."""
    return {
        "singleuser": {"image": {"repository": IMAGE.split(":")[0], "tag": IMAGE.split(":")[1]}},
        "dask": {"enabled": True, "maxWorkers": 4, "workerCores": 2, "workerMemory": "4Gi",
                 "quota": {"clusters": 50, "pods": 200, "cpu": "400", "memory": "800Gi"},
                 **dask},
        "networkPolicy": {"kubeApiCIDRs": ["10.0.0.10/32"]},
    }


@dataclass
class Release:
    """A rendered-and-applied release: its namespace, name and the objects made."""

    namespace: str
    name: str
    objects: list[dict[str, Any]]

    @property
    def fullname(self) -> str:
        return f"{self.name}-deslab"

    @property
    def user_sa(self) -> str:
        return f"{self.fullname}-singleuser"

    def find(self, kind: str, suffix: str) -> dict[str, Any]:
        hits = [o for o in self.objects
                if o["kind"] == kind and o["metadata"]["name"].endswith(suffix)]
        assert len(hits) == 1, (kind, suffix, [o["metadata"]["name"] for o in hits])
        return hits[0]


def apply_release(cluster: LiveCluster, namespace: str, values: dict[str, Any],
                  name: str = "dl") -> Release:
    """Render the chart into ``namespace`` and create its access objects as the admin."""
    # offline, as `helm template --api-versions` with the Dask operator's API
    rendered = render(values, release=name, namespace=namespace)
    docs = [d for path, text in sorted(rendered.items()) if path.endswith(".yaml")
            for d in yaml.safe_load_all(text) if d and d["kind"] in ACCESS_KINDS]
    dyn = DynamicClient(cluster.admin_client())
    for doc in docs:
        resource = dyn.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
        if resource.namespaced:
            resource.create(body=doc, namespace=namespace)
        else:
            resource.create(body=doc)
    return Release(namespace, name, docs)


def wait_quotas_counted(cluster: LiveCluster, release: Release, timeout: float = 240) -> None:
    """Wait until the quota controller has counted the release's Dask quotas.

    Until then the API refuses covered objects ("status unknown for quota"); for a CRD made
    moments ago that takes the controller's next discovery round (about a minute here).
    """
    core = kubernetes.client.CoreV1Api(cluster.admin_client())
    quotas = [o for o in release.objects if o["kind"] == "ResourceQuota"]

    def counted() -> bool:
        for quota in quotas:
            status = core.read_namespaced_resource_quota(quota["metadata"]["name"],
                                                         release.namespace).status
            used = (status.used if status else None) or {}
            if set(quota["spec"]["hard"]) - set(used):
                return False
        return True

    cluster.wait_for(counted, "the quota controller to count the Dask quotas", timeout)


def delete_cluster_scoped(cluster: LiveCluster, release: Release) -> None:
    """Remove the release's cluster-scoped objects (policies, PriorityClass)."""
    dyn = DynamicClient(cluster.admin_client())
    for doc in release.objects:
        resource = dyn.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
        if not resource.namespaced:
            try:
                resource.delete(name=doc["metadata"]["name"])
            except ApiException as exc:
                if exc.status != 404:
                    raise


@dataclass
class UserServer:
    """A user server's pod and the pod-bound token its kubelet would mount."""

    pod: dict[str, Any]
    token: str
    client: kubernetes.client.ApiClient

    @property
    def name(self) -> str:
        return self.pod["metadata"]["name"]

    @property
    def uid(self) -> str:
        return self.pod["metadata"]["uid"]


def user_pod(release: Release, username: str) -> dict[str, Any]:
    """A user server pod as the chart's KubeSpawner makes it (labels, service account)."""
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"jupyter-{username}", "labels": {
            "app.kubernetes.io/component": "singleuser-server", "component": "singleuser-server",
            "deslab.org/release": release.name, "hub.jupyter.org/username": username,
            "hub.jupyter.org/servername": ""}},
        "spec": {
            "serviceAccountName": release.user_sa,
            "automountServiceAccountToken": True,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "fsGroup": 100,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "notebook", "image": IMAGE,
                "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                              "limits": {"cpu": "1", "memory": "1Gi"}},
                "securityContext": {"allowPrivilegeEscalation": False,
                                    "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
                                    "seccompProfile": {"type": "RuntimeDefault"}}}],
        },
    }


def user_server(cluster: LiveCluster, release: Release, username: str) -> UserServer:
    """Create ``jupyter-<username>`` and a token bound to it, as the kubelet gets one."""
    core = kubernetes.client.CoreV1Api(cluster.admin_client())
    pod = core.create_namespaced_pod(release.namespace, user_pod(release, username))
    pod = cluster.admin_client().sanitize_for_serialization(pod)
    request = kubernetes.client.AuthenticationV1TokenRequest(
        spec=kubernetes.client.V1TokenRequestSpec(
            audiences=[ISSUER], expiration_seconds=3600,
            bound_object_ref=kubernetes.client.V1BoundObjectReference(
                api_version="v1", kind="Pod", name=pod["metadata"]["name"],
                uid=pod["metadata"]["uid"])))
    token = core.create_namespaced_service_account_token(
        release.user_sa, release.namespace, request).status.token
    return UserServer(pod, token, cluster.client_for_token(token))
