"""Dask in the rendered chart: user RBAC, admission policies, quotas and NetworkPolicies.

What the API server does with these objects is proven in tests/cluster/test_dask_access.py;
here the rendering itself: what exists for which values, and what never appears.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import helm_python as helm
import pytest

from tests.chart.chart_helpers import (
    CASES,
    CHART,
    NAMESPACE,
    NOTEBOOK_IMAGE,
    RELEASE,
    find,
    manifests,
    render,
)

FULL = f"{RELEASE}-deslab"


def dask_values(**network: Any) -> dict[str, Any]:
    values = copy.deepcopy(CASES["everything"])
    values["networkPolicy"].update(network)
    return values


def policies(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"].removeprefix(f"{FULL}-"): d["spec"]
            for d in docs if d["kind"] == "NetworkPolicy"}


def test_nothing_dask_without_dask(rendered: dict) -> None:
    kinds = {"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "PriorityClass",
             "ResourceQuota"}
    assert not [d for d in rendered["defaults"] if d["kind"] in kinds]
    assert not [d for d in rendered["defaults"] if "dask" in d["metadata"]["name"]]
    hub_role = find(rendered["defaults"], "Role", "-hub")
    assert "networking.k8s.io" not in {g for r in hub_role["rules"] for g in r["apiGroups"]}


def test_user_servers_may_only_handle_daskclusters(rendered: dict) -> None:
    docs = rendered["everything"]
    role = find(docs, "Role", "-dask-user")
    # no pods, services, secrets, claims, tokens, worker groups, scale; no list or watch
    assert role["rules"] == [{"apiGroups": ["kubernetes.dask.org"], "resources": ["daskclusters"],
                              "verbs": ["create", "get", "patch", "delete"]}]
    binding = find(docs, "RoleBinding", "-dask-user")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": f"{FULL}-singleuser",
                                    "namespace": NAMESPACE}]
    # the Dask pods' service account: no token, bound to nothing
    pods_sa = find(docs, "ServiceAccount", "-dask-pods")
    assert pods_sa["automountServiceAccountToken"] is False
    bound = [s["name"] for d in docs if d["kind"] in ("RoleBinding", "ClusterRoleBinding")
             for s in d["subjects"]]
    assert f"{FULL}-dask-pods" not in bound
    # the hub may write the per-server NetworkPolicies
    hub_role = find(docs, "Role", "-hub")
    assert {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"],
            "verbs": ["get", "create", "update", "delete"]} in hub_role["rules"]


def test_admission_policies_pin_the_chart_values(rendered: dict) -> None:
    docs = rendered["everything"]
    vaps = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ValidatingAdmissionPolicy"}
    base = f"{NAMESPACE}-{FULL}-dask"
    assert set(vaps) == {f"{base}-clusters", f"{base}-workers-cap", f"{base}-pods"}
    for name, vap in vaps.items():
        binding = find(docs, "ValidatingAdmissionPolicyBinding", name.removeprefix(base))
        assert binding["spec"]["policyName"] == name
        assert binding["spec"]["validationActions"] == ["Deny"]
        assert binding["spec"]["matchResources"]["namespaceSelector"] == {
            "matchLabels": {"kubernetes.io/metadata.name": NAMESPACE}}
        assert vap["spec"]["failurePolicy"] == "Fail"
    clusters = vaps[f"{base}-clusters"]["spec"]
    assert clusters["matchConditions"][0]["expression"] == (
        f"request.userInfo.username == \"system:serviceaccount:{NAMESPACE}:{FULL}-singleuser\"")
    text = json.dumps(clusters)
    # values of CASES["everything"]: 16 workers of 2 cores and 8Gi, the notebook image
    assert "variables.worker.replicas <= 16" in text
    assert 'quantity(\\"2\\")' in text and 'quantity(\\"8Gi\\")' in text
    assert f'\\"{NOTEBOOK_IMAGE}\\"' in text
    assert "runAsUser == 1000" in text
    pods = find(docs, "ValidatingAdmissionPolicyBinding", "-dask-pods")
    assert pods["spec"]["matchResources"]["objectSelector"]["matchExpressions"] == [
        {"key": "dask.org/cluster-name", "operator": "Exists"}]
    cap = json.dumps(vaps[f"{base}-workers-cap"]["spec"])
    assert "daskclusters/scale" in cap and "daskworkergroups/scale" in cap
    assert cap.count("<= 16") == 2


def test_quota_scoped_to_the_dask_priority_class(rendered: dict) -> None:
    docs = rendered["everything"]
    pc = find(docs, "PriorityClass", "-dask")
    assert pc["metadata"]["name"] == f"{NAMESPACE}-{FULL}-dask"
    assert pc["preemptionPolicy"] == "Never" and pc["globalDefault"] is False
    quota = find(docs, "ResourceQuota", "-dask-pods")["spec"]
    assert quota["scopeSelector"]["matchExpressions"] == [
        {"scopeName": "PriorityClass", "operator": "In", "values": [pc["metadata"]["name"]]}]
    assert set(quota["hard"]) == {"pods", "requests.cpu", "limits.cpu", "requests.memory",
                                  "limits.memory"}
    clusters = find(docs, "ResourceQuota", "-dask-clusters")["spec"]
    assert clusters["hard"] == {"count/daskclusters.kubernetes.dask.org": "20"}


def test_the_kubernetes_api_only_through_kube_api_cidrs(rendered: dict) -> None:
    user = policies(rendered["everything"])["singleuser"]
    api_rules = [r for r in user["egress"]
                 if {p["port"] for p in r.get("ports", [])} == {443, 6443}]
    assert api_rules == [{"to": [{"ipBlock": {"cidr": "10.0.0.10/32"}}],
                          "ports": [{"port": 443, "protocol": "TCP"},
                                    {"port": 6443, "protocol": "TCP"}]}]
    # userInternetAccess false: no rule of the user servers reaches any address at large
    for rule in user["egress"]:
        for peer in rule.get("to", []):
            assert peer.get("ipBlock", {}).get("cidr") not in ("0.0.0.0/0", "::/0"), rule
    # and with internet access on, the API rule still names only the API's addresses
    user = policies(manifests(dask_values(userInternetAccess=True)))["singleuser"]
    api_rules = [r for r in user["egress"] if any(p["port"] == 6443 for p in r.get("ports", []))]
    assert [r["to"] for r in api_rules] == [[{"ipBlock": {"cidr": "10.0.0.10/32"}}]]


def test_dask_without_kube_api_cidrs_fails_at_render() -> None:
    with pytest.raises(helm.HelmError, match=r"networkPolicy\.kubeApiCIDRs"):
        render(dask_values(kubeApiCIDRs=[]))
    # without NetworkPolicies there is nothing to open
    render(dask_values(kubeApiCIDRs=[]) | {"networkPolicy": {"enabled": False}})


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0", "api.example.org"])
def test_schema_refuses_an_open_kube_api_rule(cidr: str) -> None:
    with helm.Chart.load(CHART) as chart:
        with pytest.raises(helm.HelmValuesError):
            chart.validate_schema(chart.merge_values(dask_values(kubeApiCIDRs=[cidr])))


def test_dask_pods_accept_nobody_but_the_operator_here(rendered: dict) -> None:
    pols = policies(rendered["everything"])
    dask = pols["dask"]
    assert dask["podSelector"] == {"matchLabels": {"app.kubernetes.io/component": "dask",
                                                   "deslab.org/release": RELEASE}}
    # no user pod is let in by the chart: the hub adds one policy per server for its owner
    assert dask["ingress"] == [{
        "from": [{"namespaceSelector": {"matchLabels": {
            "kubernetes.io/metadata.name": "dask-operator"}}}],
        "ports": [{"port": 8786, "protocol": "TCP"}, {"port": 8787, "protocol": "TCP"}]}]
    # user servers are never reachable from Dask pods
    user = pols["singleuser"]
    sources = [p for r in user["ingress"] for p in r["from"]]
    assert all(p["podSelector"]["matchLabels"]["app.kubernetes.io/component"] != "dask"
               for p in sources)
    # the hub's ingress does not admit Dask pods either
    hub_sources = [p.get("podSelector", {}).get("matchLabels", {}).get(
        "app.kubernetes.io/component") for r in pols["hub"]["ingress"] for p in r["from"]]
    assert "dask" not in hub_sources


def test_user_servers_are_told_exactly_what_the_policy_pins(rendered: dict) -> None:
    import yaml
    from deslab_hub.cluster.spawner import singleuser_environment

    docs = rendered["everything"]
    values = yaml.safe_load(find(docs, "ConfigMap", "-hub-config")["data"]["values.yaml"])
    env = singleuser_environment(values)
    text = json.dumps(find(docs, "ValidatingAdmissionPolicy", "-dask-clusters")["spec"])
    for name in ("DESLAB_DASK_IMAGE", "DESLAB_DASK_SERVICE_ACCOUNT",
                 "DESLAB_DASK_PRIORITY_CLASS"):
        assert f'== \\"{env[name]}\\"' in text, name
    assert env["DESLAB_DASK_PRIORITY_CLASS"] == find(docs, "PriorityClass", "-dask")[
        "metadata"]["name"]
    assert env["DESLAB_DASK_SERVICE_ACCOUNT"] == find(docs, "ServiceAccount", "-dask-pods")[
        "metadata"]["name"]
    assert env["DESLAB_DASK_RELEASE"] == RELEASE and env["DESLAB_DASK_NAMESPACE"] == NAMESPACE
    assert (env["DESLAB_DASK_MAX_WORKERS"], env["DESLAB_DASK_WORKER_CORES"],
            env["DESLAB_DASK_WORKER_MEMORY"]) == ("16", "2", "8Gi")


def test_per_server_network_policy_is_valid_and_names_one_server() -> None:
    import kubernetes_validate
    from deslab_hub.cluster.dask_access import dask_network_policy

    from tests.chart.chart_helpers import KUBE_VERSION

    pod = {"metadata": {"name": "jupyter-jane-doe-uni-edu---e3900268", "namespace": NAMESPACE,
                        "uid": "3f1c2a9e-0d4b-4e7a-9b1c-5a6d7e8f9012",
                        "labels": {"hub.jupyter.org/username": "jane-doe-uni-edu---e3900268",
                                   "hub.jupyter.org/servername": ""}}}
    policy = dask_network_policy(pod, RELEASE)
    kubernetes_validate.validate(policy, KUBE_VERSION, strict=True)
    spec = policy["spec"]
    own = {"app.kubernetes.io/component": "dask", "deslab.org/release": RELEASE,
           "deslab.org/dask-owner": pod["metadata"]["name"]}
    assert spec["podSelector"] == {"matchLabels": own}
    assert spec["ingress"] == [{"from": [
        {"podSelector": {"matchLabels": {
            "app.kubernetes.io/component": "singleuser-server", "deslab.org/release": RELEASE,
            "hub.jupyter.org/username": "jane-doe-uni-edu---e3900268",
            "hub.jupyter.org/servername": ""}}},
        {"podSelector": {"matchLabels": own}}]}]
    assert policy["metadata"]["ownerReferences"][0]["uid"] == pod["metadata"]["uid"]


async def test_per_server_policy_admits_the_real_kubespawner_pod_only(
        rendered: dict, tmp_path, monkeypatch) -> None:
    """KubeSpawner, configured by the chart, makes alice's pod; the hub's hook policy for it
    selects alice's Dask pods and lets in that pod, not bob's, and the hook is configured."""
    from deslab_hub.cluster.dask_access import dask_network_policy

    from tests.chart.test_hub_config import hub_app, matches, user_pod

    docs = rendered["everything"]
    app = hub_app(docs, tmp_path, monkeypatch)
    assert callable(app.config.KubeSpawner.after_pod_created_hook)
    alice, bob = await user_pod(app, "alice"), await user_pod(app, "bob")
    alice["metadata"].update(namespace=NAMESPACE, uid="5b1c0f7e-8d2a-4c3b-9e4f-1a2b3c4d5e6f")
    policy = dask_network_policy(alice, RELEASE)["spec"]
    peers = policy["ingress"][0]["from"]
    assert matches(peers[0]["podSelector"], alice["metadata"]["labels"])
    assert not matches(peers[0]["podSelector"], bob["metadata"]["labels"])
    # the chart's user-server policy selects the same pod, and Dask pods never match it
    assert matches(policies(docs)["singleuser"]["podSelector"], alice["metadata"]["labels"])
    dask_pod_labels = dict(policy["podSelector"]["matchLabels"],
                           **{"dask.org/cluster-name": "dask-x", "dask.org/component": "worker"})
    assert matches(policies(docs)["dask"]["podSelector"], dask_pod_labels)
    assert not matches(peers[0]["podSelector"], dask_pod_labels)
    # without Dask, no hook
    (tmp_path / "d").mkdir()
    app = hub_app(rendered["defaults"], tmp_path / "d", monkeypatch)
    assert "after_pod_created_hook" not in app.config.KubeSpawner
