"""Who may reach a user server's Dask pods: one NetworkPolicy per server, made by the hub.

The chart's NetworkPolicy for Dask pods admits nobody but the Dask operator's namespace
(``helm-chart/deslab/templates/networkpolicies.yaml``); a static policy cannot say "only the
pod that owns this cluster". So when KubeSpawner has created a user server's pod, the hub adds
a policy that lets exactly that pod, and the Dask pods it owns, reach the Dask pods labelled
``deslab.org/dask-owner=<pod name>``. The admission policy makes every Dask pod carry the
label of the pod whose token created its cluster, so no user can point their cluster, or
their server, at another's. The policy is owned by the pod: the garbage collector deletes it
with the pod.

Examples
--------
>>> pod = {"metadata": {"name": "jupyter-alice", "namespace": "sci", "uid": "u-1",
...        "labels": {"hub.jupyter.org/username": "alice", "hub.jupyter.org/servername": ""}}}
>>> policy = dask_network_policy(pod, "dl")
>>> policy["metadata"]["name"], policy["spec"]["podSelector"]["matchLabels"][OWNER_LABEL]
('dask-owner-u-1', 'jupyter-alice')
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

OWNER_LABEL = "deslab.org/dask-owner"
RELEASE_LABEL = "deslab.org/release"


def dask_pod_selector(release: str, owner_pod: str) -> dict[str, str]:
    """Labels of the Dask pods whose clusters the pod ``owner_pod`` created."""
    return {"app.kubernetes.io/component": "dask", RELEASE_LABEL: release,
            OWNER_LABEL: owner_pod}


def dask_network_policy(pod: Mapping[str, Any], release: str) -> dict[str, Any]:
    """The NetworkPolicy that lets user server ``pod`` (and nobody else) reach its Dask pods.

    Parameters
    ----------
    pod
        The user server's pod as created (KubeSpawner's ``after_pod_created_hook`` argument):
        name, namespace, uid and KubeSpawner's user and server labels.
    release
        The Helm release (``deslab.org/release`` of the release's pods).
    """
    meta = pod["metadata"]
    labels = meta.get("labels") or {}
    server = {
        "app.kubernetes.io/component": "singleuser-server",
        RELEASE_LABEL: release,
        "hub.jupyter.org/username": labels.get("hub.jupyter.org/username", ""),
        "hub.jupyter.org/servername": labels.get("hub.jupyter.org/servername", ""),
    }
    own_dask = dask_pod_selector(release, meta["name"])
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": f"dask-owner-{meta['uid']}",
            "namespace": meta["namespace"],
            "labels": {"app.kubernetes.io/part-of": "deslab",
                       "app.kubernetes.io/component": "dask", RELEASE_LABEL: release},
            "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": meta["name"],
                                 "uid": meta["uid"]}],
        },
        "spec": {
            "podSelector": {"matchLabels": own_dask},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": server}},
                                  {"podSelector": {"matchLabels": own_dask}}]}],
        },
    }


def after_pod_created_hook(release: str) -> Callable[[Any, Mapping[str, Any]], Awaitable[None]]:
    """KubeSpawner's ``after_pod_created_hook``: create the server's Dask NetworkPolicy."""

    async def create_policy(spawner: Any, pod: Mapping[str, Any]) -> None:
        from kubernetes_asyncio.client.rest import ApiException
        from kubespawner.clients import shared_client

        policy = dask_network_policy(pod, release)
        api = shared_client("NetworkingV1Api")
        try:
            await api.create_namespaced_network_policy(policy["metadata"]["namespace"], policy)
        except ApiException as exc:
            if exc.status != 409:  # a retried hook finds its own policy
                raise
        spawner.log.info("Dask NetworkPolicy %s created for %s",
                         policy["metadata"]["name"], pod["metadata"]["name"])

    return create_policy
