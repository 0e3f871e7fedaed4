"""Dask with no reach into other users, proven against the live Kubernetes API.

The chart's Dask objects (RBAC, ValidatingAdmissionPolicies, PriorityClass, ResourceQuotas,
NetworkPolicies) are rendered with the Helm SDK and created in a real kube-apiserver; user
servers are real pods with the token the kubelet would mount (TokenRequest bound to the pod).
What is asked of the API: SubjectAccessReviews, real creates, patches, the scale subresource
and deletes with those tokens, and the garbage collector of kube-controller-manager. No
operator runs here and containers never run, so what the operator does with an admitted
cluster is represented by creating the pods it would create (as the admin).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import deslab.dask as ddask
import kubernetes.client
import pytest
from deslab.daskcluster import ApiRefusal, DaskClusterError, KubeAPI, OperatorCluster
from deslab.errors import ConfigurationError
from kubernetes.client.rest import ApiException

from tests.cluster.dask_release import (
    Release,
    UserServer,
    apply_release,
    dask_values,
    delete_cluster_scoped,
    install_dask_crds,
    user_server,
    wait_quotas_counted,
)
from tests.cluster.live_api import LiveCluster

pytestmark = pytest.mark.cluster

GROUP, VERSION, PLURAL = "kubernetes.dask.org", "v1", "daskclusters"


@pytest.fixture(scope="module")
def release(kube_cluster: LiveCluster) -> Iterator[Release]:
    """The chart's access objects with Dask on, in a namespace enforcing Pod Security
    ``restricted`` (as docs/deployment.md asks operators to label theirs)."""
    install_dask_crds(kube_cluster)
    ns = kube_cluster.create_namespace("dask", labels={
        "pod-security.kubernetes.io/enforce": "restricted"})
    rel = apply_release(kube_cluster, ns, dask_values())
    wait_quotas_counted(kube_cluster, rel)
    yield rel
    delete_cluster_scoped(kube_cluster, rel)
    kube_cluster.delete_namespace(ns)


@pytest.fixture(scope="module")
def alice(kube_cluster: LiveCluster, release: Release) -> UserServer:
    return user_server(kube_cluster, release, "alice")


@pytest.fixture(scope="module")
def bob(kube_cluster: LiveCluster, release: Release) -> UserServer:
    return user_server(kube_cluster, release, "bob")


def spawner_env(release: Release) -> dict[str, str]:
    """The DESLAB_DASK_* environment the hub gives user servers for this release."""
    import yaml
    from deslab_hub.cluster.spawner import singleuser_environment

    values = yaml.safe_load(release.find("ConfigMap", "-hub-config")["data"]["values.yaml"])
    return singleuser_environment(values)


def api_for(kube_cluster: LiveCluster, release: Release, user: UserServer) -> KubeAPI:
    return KubeAPI(kube_cluster.server, user.token, str(kube_cluster.ca_file), release.namespace)


def spec_for(release: Release, api: KubeAPI, n_workers: int | None = None) -> dict[str, Any]:
    return ddask.kube_cluster_spec(n_workers, environ=spawner_env(release), owner=api.identity)


def custom(client: kubernetes.client.ApiClient) -> kubernetes.client.CustomObjectsApi:
    return kubernetes.client.CustomObjectsApi(client)


def refused(call: Callable[[], Any]) -> ApiException:
    """Run ``call``; it must be refused by the API server (403 or 422). Return the error."""
    with pytest.raises(ApiException) as info:
        call()
    assert info.value.status in (403, 422), (info.value.status, info.value.body)
    return info.value


def message(exc: ApiException) -> str:
    return json.loads(exc.body).get("message", "")


# --- RBAC: what a user server's credential may do -------------------------------------------


FORBIDDEN = [
    ("get", "pods", ""), ("list", "pods", ""), ("watch", "pods", ""),
    ("get", "pods", "log"), ("create", "pods", "exec"), ("create", "pods", ""),
    ("get", "secrets", ""), ("list", "secrets", ""), ("watch", "secrets", ""),
    ("get", "persistentvolumeclaims", ""), ("list", "persistentvolumeclaims", ""),
    ("watch", "persistentvolumeclaims", ""),
    ("create", "serviceaccounts", "token"), ("get", "serviceaccounts", ""),
    ("list", "services", ""), ("get", "configmaps", ""),
    ("list", "networkpolicies", ""), ("create", "networkpolicies", ""),
]


def test_user_credentials_reach_no_pods_secrets_claims_or_tokens(
        kube_cluster: LiveCluster, release: Release, alice: UserServer, bob: UserServer) -> None:
    ns = release.namespace
    user = f"system:serviceaccount:{ns}:{release.user_sa}"
    groups = ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"]
    denied = []
    for verb, resource, sub in FORBIDDEN:
        group = "networking.k8s.io" if resource == "networkpolicies" else ""
        for name in (None, bob.name, "claim-bob", f"{release.fullname}-hub-secret"):
            if name and verb in ("list", "watch", "create"):
                continue
            assert not kube_cluster.user_can(user, verb, resource, namespace=ns, group=group,
                                             name=name, subresource=sub or None, groups=groups)
            denied.append((verb, resource, sub, name))
    # nor Dask objects beyond its own clusters: no listing, worker groups or scale
    for verb, resource, sub in [("list", "daskclusters", ""), ("watch", "daskclusters", ""),
                                ("create", "daskworkergroups", ""),
                                ("patch", "daskworkergroups", ""),
                                ("patch", "daskclusters", "scale"),
                                ("update", "daskclusters", "scale")]:
        assert not kube_cluster.user_can(user, verb, resource, namespace=ns, group=GROUP,
                                         subresource=sub or None, groups=groups)
    for verb in ("create", "get", "patch", "delete"):
        assert kube_cluster.user_can(user, verb, "daskclusters", namespace=ns, group=GROUP,
                                     groups=groups)
    # the same with the real pod-bound tokens, by the API server's own answers
    core = kubernetes.client.CoreV1Api(alice.client)
    for call in (lambda: core.list_namespaced_pod(ns),
                 lambda: core.read_namespaced_pod(bob.name, ns),
                 lambda: core.list_namespaced_secret(ns),
                 lambda: core.read_namespaced_secret(f"{release.fullname}-hub-secret", ns),
                 lambda: core.list_namespaced_persistent_volume_claim(ns),
                 lambda: core.create_namespaced_service_account_token(
                     release.user_sa, ns, kubernetes.client.AuthenticationV1TokenRequest(
                         spec=kubernetes.client.V1TokenRequestSpec(audiences=["x"]))),
                 lambda: custom(alice.client).list_namespaced_custom_object(
                     GROUP, VERSION, ns, PLURAL)):
        with pytest.raises(ApiException) as info:
            call()
        assert info.value.status == 403
    assert len(denied) == 36


def test_without_dask_user_pods_get_no_rights(kube_cluster: LiveCluster) -> None:
    """Dask off: no user service account; pods run as ``default``, which may read nothing."""
    ns = kube_cluster.create_namespace("nodask")
    try:
        rel = apply_release(kube_cluster, ns, {})
        assert not [o for o in rel.objects if "dask" in o["metadata"]["name"]
                    or o["metadata"]["name"].endswith("-singleuser") and o["kind"] in (
                        "ServiceAccount", "Role", "RoleBinding")]
        user = f"system:serviceaccount:{ns}:default"
        for verb, resource, sub in FORBIDDEN:
            group = "networking.k8s.io" if resource == "networkpolicies" else ""
            assert not kube_cluster.user_can(user, verb, resource, namespace=ns, group=group,
                                             subresource=sub or None)
        assert not kube_cluster.user_can(user, "create", "daskclusters", namespace=ns,
                                         group=GROUP)
        delete_cluster_scoped(kube_cluster, rel)
    finally:
        kube_cluster.delete_namespace(ns)


# --- admission: what a DaskCluster may be ---------------------------------------------------


def test_admission_policies_are_accepted_and_type_checked(
        kube_cluster: LiveCluster, release: Release) -> None:
    api = kubernetes.client.AdmissionregistrationV1Api(kube_cluster.admin_client())
    names = [o["metadata"]["name"] for o in release.objects
             if o["kind"] == "ValidatingAdmissionPolicy"]
    assert len(names) == 3

    def checked() -> list[Any] | None:
        out = []
        for name in names:
            status = api.read_validating_admission_policy(name).status
            if status is None or status.observed_generation is None:
                return None
            checking = status.type_checking
            out.append((name, [w.warning for w in
                               (checking.expression_warnings if checking else None) or []]))
        return out

    results = kube_cluster.wait_for(checked, "admission policies type-checked", 60)
    # warnings would mean an expression refers to something the types do not have
    assert all(not warnings for _, warnings in results), "\n".join(str(r) for r in results)


def test_a_user_server_creates_its_own_cluster_with_deslab_dask(
        kube_cluster: LiveCluster, release: Release, alice: UserServer) -> None:
    api = api_for(kube_cluster, release, alice)
    assert (api.identity.name, api.identity.uid) == (alice.name, alice.uid)
    cluster = OperatorCluster(api, spec_for(release, api), max_workers=4)
    stored = api.get(cluster.name)
    assert stored["metadata"]["name"] == f"dask-{alice.uid}"
    assert stored["metadata"]["labels"]["deslab.org/dask-owner"] == alice.name
    assert stored["spec"]["worker"]["replicas"] == 2
    assert cluster.scheduler_address == (
        f"tcp://dask-{alice.uid}-scheduler.{release.namespace}.svc:8786")
    # calling again reuses the server's one cluster at the new size
    again = OperatorCluster(api, spec_for(release, api, 3), max_workers=4)
    assert again.name == cluster.name and api.get(cluster.name)["spec"]["worker"]["replicas"] == 3
    cluster.scale(4)
    assert api.get(cluster.name)["spec"]["worker"]["replicas"] == 4
    with pytest.raises(ConfigurationError, match="0 to 4"):
        cluster.scale(5)
    cluster.close()
    with pytest.raises(ApiRefusal) as info:
        api.get(cluster.name)
    assert info.value.code == 404
    cluster.close()  # twice is harmless


def hostile_variants(release: Release, bob: UserServer) -> dict[str, Callable[[dict], None]]:
    """Ways to turn alice's valid cluster into a hostile one, by what they try."""
    hub_sa = f"{release.fullname}-hub"

    def pods(spec: dict) -> list[dict]:
        return [spec["spec"]["scheduler"]["spec"], spec["spec"]["worker"]["spec"]]

    def each_pod(change: Callable[[dict], None]) -> Callable[[dict], None]:
        return lambda spec: [change(p) for p in pods(spec)]

    def mount(volume: dict) -> Callable[[dict], None]:
        def change(pod: dict) -> None:
            pod["volumes"].append({"name": "x", **volume})
            pod["containers"][0]["volumeMounts"].append({"name": "x", "mountPath": "/x"})
        return each_pod(change)

    def labels(extra: dict) -> Callable[[dict], None]:
        def change(spec: dict) -> None:
            spec["spec"]["worker"]["metadata"]["labels"].update(extra)
        return change

    return {
        "another user's claim": mount({"persistentVolumeClaim": {"claimName": "claim-bob"}}),
        "the hub Secret": mount({"secret": {"secretName": f"{release.fullname}-hub-secret"}}),
        "a projected token": mount({"projected": {"sources": [{"serviceAccountToken": {
            "path": "token"}}]}}),
        "hostPath": mount({"hostPath": {"path": "/"}}),
        "the hub's service account": each_pod(lambda p: p.update(serviceAccountName=hub_sa)),
        "a mounted token": each_pod(lambda p: p.update(automountServiceAccountToken=True)),
        "root": each_pod(lambda p: p["securityContext"].update(runAsUser=0,
                                                               runAsNonRoot=False)),
        "privilege escalation": each_pod(lambda p: p["containers"][0]["securityContext"].update(
            allowPrivilegeEscalation=True)),
        "a capability": each_pod(lambda p: p["containers"][0]["securityContext"].update(
            capabilities={"add": ["NET_ADMIN"], "drop": ["ALL"]})),
        "host network": each_pod(lambda p: p.update(hostNetwork=True)),
        "a node of its choice": each_pod(lambda p: p.update(nodeName="kwok-node-0")),
        "another image": each_pod(lambda p: p["containers"][0].update(image="evil/miner:1")),
        "a secret in env": each_pod(lambda p: p["containers"][0]["env"].append(
            {"name": "T", "valueFrom": {"secretKeyRef": {
                "name": f"{release.fullname}-hub-secret", "key": "proxy-token"}}})),
        "the hub's labels": labels({"app.kubernetes.io/component": "hub"}),
        "user-server labels": labels({"hub.jupyter.org/username": "bob"}),
        "bob as owner": labels({"deslab.org/dask-owner": bob.name}),
        "1000 workers": lambda spec: spec["spec"]["worker"].update(replicas=1000),
        "bigger workers": each_pod(lambda p: p["containers"][0]["resources"].update(
            limits={"cpu": "64", "memory": "1Ti"})),
        "a GPU": each_pod(lambda p: p["containers"][0]["resources"]["limits"].update(
            {"nvidia.com/gpu": "1"})),
        "a public scheduler": lambda spec: spec["spec"]["scheduler"]["service"].update(
            type="LoadBalancer"),
        "a Service for bob's pods": lambda spec: spec["spec"]["scheduler"]["service"].update(
            selector={"hub.jupyter.org/username": "bob"}),
        "a host port": each_pod(lambda p: p["containers"][0].setdefault("ports", []).append(
            {"containerPort": 9000, "hostPort": 9000})),
        "no priority class (outside the quota)": each_pod(
            lambda p: p.pop("priorityClassName")),
        "a second cluster": lambda spec: spec["metadata"].update(name="dask-extra"),
        "owned by bob's pod": lambda spec: spec["metadata"].update(ownerReferences=[
            {"apiVersion": "v1", "kind": "Pod", "name": bob.name, "uid": bob.uid}]),
        "never idle out": lambda spec: spec["spec"].update(idleTimeout=0),
        "a second container": each_pod(lambda p: p["containers"].append(
            dict(p["containers"][0], name="sidecar"))),
        "lingering for days": each_pod(lambda p: p.update(terminationGracePeriodSeconds=
                                                          10**6)),
    }


def test_hostile_clusters_are_refused_by_the_api(
        kube_cluster: LiveCluster, release: Release, alice: UserServer, bob: UserServer) -> None:
    api = api_for(kube_cluster, release, alice)
    valid = spec_for(release, api)
    refusals = {}
    for what, change in hostile_variants(release, bob).items():
        body = copy.deepcopy(valid)
        change(body)
        exc = refused(lambda body=body: custom(alice.client).create_namespaced_custom_object(
            GROUP, VERSION, release.namespace, PLURAL, body))
        refusals[what] = message(exc)
    assert len(refusals) == 28
    assert "at most 4 workers" in refusals["1000 workers"]
    assert "emptyDir volumes only" in refusals["another user's claim"]
    assert "named dask-" in refusals["a second cluster"]
    assert "image registry.example.org/deslab/notebook:1.2.3" in refusals["another image"]
    # and deslab.dask turns such a refusal into one clear line
    body = copy.deepcopy(valid)
    body["spec"]["worker"]["replicas"] = 1000
    with pytest.raises(DaskClusterError, match=r"refused by the cluster's policy: .*at most 4"):
        OperatorCluster(api, body, max_workers=1000)
    # the valid one is admitted: the refusals above are about what was changed
    custom(alice.client).create_namespaced_custom_object(GROUP, VERSION, release.namespace,
                                                         PLURAL, valid)
    api.delete(valid["metadata"]["name"])


def test_the_worker_cap_holds_against_patches_and_scale(
        kube_cluster: LiveCluster, release: Release, alice: UserServer, bob: UserServer) -> None:
    ns = release.namespace
    api = api_for(kube_cluster, release, alice)
    cluster = OperatorCluster(api, spec_for(release, api), max_workers=4)
    objs = custom(alice.client)
    for body in ({"spec": {"worker": {"replicas": 1000}}}, {"spec": {"worker": {"replicas": 5}}}):
        exc = refused(lambda body=body: objs.patch_namespaced_custom_object(
            GROUP, VERSION, ns, PLURAL, cluster.name, body))
        assert "at most 4 workers" in message(exc)
    # the scale subresource: not the user's to call
    exc = refused(lambda: objs.patch_namespaced_custom_object_scale(
        GROUP, VERSION, ns, PLURAL, cluster.name, {"spec": {"replicas": 1000}}))
    assert exc.status == 403
    # and refused by the cap even for an identity that may scale (e.g. an autoscaler)
    scaler = kube_cluster.service_account(ns, "autoscaler")
    rbac = kubernetes.client.RbacAuthorizationV1Api(kube_cluster.admin_client())
    rbac.create_namespaced_role(ns, {"metadata": {"name": "scale"}, "rules": [{
        "apiGroups": [GROUP], "resources": ["daskclusters/scale", "daskclusters"],
        "verbs": ["get", "patch", "update"]}]})
    rbac.create_namespaced_role_binding(ns, {
        "metadata": {"name": "scale"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                                   "kind": "Role", "name": "scale"},
        "subjects": [{"kind": "ServiceAccount", "name": "autoscaler", "namespace": ns}]})
    scale = custom(scaler.client)

    def scale_to(n: int) -> Any:
        return scale.patch_namespaced_custom_object_scale(
            GROUP, VERSION, ns, PLURAL, cluster.name, {"spec": {"replicas": n}})

    kube_cluster.wait_for(lambda: _allowed(lambda: scale_to(3)), "RBAC for the autoscaler", 30)
    exc = refused(lambda: scale_to(1000))
    assert "at most 4 workers" in message(exc)
    exc = refused(lambda: scale.patch_namespaced_custom_object(
        GROUP, VERSION, ns, PLURAL, cluster.name, {"spec": {"worker": {"replicas": 50}}}))
    assert "at most 4 workers" in message(exc)
    assert api.get(cluster.name)["spec"]["worker"]["replicas"] == 3
    # another user can neither change nor delete it, even knowing its name
    other = custom(bob.client)
    exc = refused(lambda: other.patch_namespaced_custom_object(
        GROUP, VERSION, ns, PLURAL, cluster.name, {"spec": {"worker": {"replicas": 0}}}))
    assert "belongs to another user server" in message(exc)
    exc = refused(lambda: other.delete_namespaced_custom_object(
        GROUP, VERSION, ns, PLURAL, cluster.name))
    assert "belongs to another user server" in message(exc)
    # nor can alice take her cluster's labels or owner away from her server
    exc = refused(lambda: objs.patch_namespaced_custom_object(
        GROUP, VERSION, ns, PLURAL, cluster.name,
        {"metadata": {"labels": {"deslab.org/dask-owner": bob.name}}}))
    cluster.close()


def _allowed(call: Callable[[], Any]) -> bool:
    try:
        call()
    except ApiException as exc:
        if exc.status == 403 and "forbidden" in exc.body.lower() and "denied" not in exc.body:
            return False
        raise
    return True


def test_a_token_not_bound_to_a_pod_gets_no_cluster(
        kube_cluster: LiveCluster, release: Release, alice: UserServer) -> None:
    """The same service account's token without a pod binding (e.g. copied out of a Secret)
    has no owner, so the policy refuses it whatever the body says."""
    unbound = kube_cluster.service_account(release.namespace, release.user_sa)
    body = spec_for(release, api_for(kube_cluster, release, alice))
    exc = refused(lambda: custom(unbound.client).create_namespaced_custom_object(
        GROUP, VERSION, release.namespace, PLURAL, body))
    assert "own service-account token" in message(exc)
    with pytest.raises(DaskClusterError, match="not bound to its pod"):
        KubeAPI(kube_cluster.server, unbound.token, str(kube_cluster.ca_file), release.namespace)


def test_a_cluster_goes_with_its_server(
        kube_cluster: LiveCluster, release: Release) -> None:
    """Owned by the server's pod, the cluster is deleted by the garbage collector with it."""
    carol = user_server(kube_cluster, release, "carol")
    api = api_for(kube_cluster, release, carol)
    cluster = OperatorCluster(api, spec_for(release, api), max_workers=4)
    core = kubernetes.client.CoreV1Api(kube_cluster.admin_client())
    core.delete_namespaced_pod(carol.name, release.namespace, grace_period_seconds=0)
    admin = custom(kube_cluster.admin_client())

    def gone() -> bool:
        try:
            admin.get_namespaced_custom_object(GROUP, VERSION, release.namespace, PLURAL,
                                               cluster.name)
        except ApiException as exc:
            return exc.status == 404
        return False

    kube_cluster.wait_for(gone, "the garbage collector to delete carol's Dask cluster", 60)


# --- the pods the operator makes, quotas, NetworkPolicies ----------------------------------


def operator_pod(spec: dict, part: str) -> dict[str, Any]:
    """The pod the operator's Deployment makes for ``part`` of an admitted cluster."""
    name = spec["metadata"]["name"]
    template = copy.deepcopy(spec["spec"][part])
    labels = dict(template["metadata"]["labels"], **{
        "dask.org/cluster-name": name, "dask.org/component": part,
        "sidecar.istio.io/inject": "false"})
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"generateName": f"{name}-{part}-", "labels": labels},
           "spec": template["spec"]}
    pod["spec"]["containers"][0]["env"].append(
        {"name": "DASK_SCHEDULER_ADDRESS", "value": f"tcp://{name}-scheduler:8786"})
    return pod


def test_dask_pods_pass_pod_security_restricted_and_the_pod_policy(
        kube_cluster: LiveCluster, release: Release, alice: UserServer) -> None:
    ns = release.namespace
    core = kubernetes.client.CoreV1Api(kube_cluster.admin_client())
    spec = spec_for(release, api_for(kube_cluster, release, alice))
    made = [core.create_namespaced_pod(ns, operator_pod(spec, part))
            for part in ("scheduler", "worker")]
    for pod in made:
        kube_cluster.wait_pod_phase(ns, pod.metadata.name, {"Running"})
        core.delete_namespaced_pod(pod.metadata.name, ns, grace_period_seconds=0)
    # whoever creates a Dask pod (here the admin), it gets no more than a user server
    for what, change in {
        "root": lambda p: p["spec"]["securityContext"].update(runAsUser=0, runAsNonRoot=False),
        "hostPath": lambda p: p["spec"].update(volumes=[{"name": "h", "hostPath": {
            "path": "/"}}]),
        "a token": lambda p: p["spec"].update(automountServiceAccountToken=True),
        "the hub's account": lambda p: p["spec"].update(
            serviceAccountName=f"{release.fullname}-hub"),
        "hub labels": lambda p: p["metadata"]["labels"].update(
            {"app.kubernetes.io/component": "hub"}),
    }.items():
        pod = operator_pod(spec, "worker")
        change(pod)
        exc = refused(lambda pod=pod: core.create_namespaced_pod(ns, pod))
        assert "dask" in message(exc).lower() or "PodSecurity" in message(exc), (what, exc.body)


def test_quota_counts_clusters_and_dask_pods(kube_cluster: LiveCluster) -> None:
    """A release with small totals, in its own namespace (quotas count from the start)."""
    ns = kube_cluster.create_namespace("quota")
    small = dask_values(quota={"clusters": 2, "pods": 6, "cpu": "12", "memory": "100Gi"})
    rel = apply_release(kube_cluster, ns, small)
    try:
        core = kubernetes.client.CoreV1Api(kube_cluster.admin_client())
        wait_quotas_counted(kube_cluster, rel)
        users = [user_server(kube_cluster, rel, f"q{i}") for i in range(3)]
        apis = [api_for(kube_cluster, rel, user) for user in users]
        for api in apis[:2]:
            OperatorCluster(api, spec_for(rel, api), max_workers=4)
        with pytest.raises(DaskClusterError, match="exceeded quota"):
            OperatorCluster(apis[2], spec_for(rel, apis[2]), max_workers=4)
        # Dask pods: 6 at most, 12 CPU in all (workers of 2 CPU); user servers not counted
        spec = spec_for(rel, apis[0])
        made, exc = [], None
        for _ in range(8):
            try:
                made.append(core.create_namespaced_pod(ns, operator_pod(spec, "worker")))
            except ApiException as err:
                exc = err
                break
        assert len(made) == 6
        assert exc is not None and exc.status == 403 and "exceeded quota" in exc.body
        assert len(core.list_namespaced_pod(ns).items) == 6 + 3
    finally:
        delete_cluster_scoped(kube_cluster, rel)
        kube_cluster.delete_namespace(ns)


def test_network_policies_are_admitted_and_fence_dask(
        kube_cluster: LiveCluster, release: Release, alice: UserServer) -> None:
    from deslab_hub.cluster.dask_access import dask_network_policy

    ns = release.namespace
    net = kubernetes.client.NetworkingV1Api(kube_cluster.admin_client())
    stored = {p.metadata.name: p for p in net.list_namespaced_network_policy(ns).items}
    assert {f"{release.fullname}-{s}" for s in ("hub", "proxy", "jobs", "singleuser",
                                                "job-workers", "dask")} <= set(stored)
    user = net.read_namespaced_network_policy(f"{release.fullname}-singleuser", ns)
    cidrs = [peer.ip_block.cidr for rule in user.spec.egress for peer in (rule.to or [])
             if peer.ip_block]
    assert "10.0.0.10/32" in cidrs and "0.0.0.0/0" in cidrs  # internet on by default...
    api_rule = [r for r in user.spec.egress if any(p.port == 6443 for p in r.ports or [])]
    assert [[p.ip_block.cidr for p in r.to] for r in api_rule] == [["10.0.0.10/32"]]
    # the per-server policy, made with the hub's own credential as KubeSpawner's hook does
    hub = kube_cluster.service_account(ns, f"{release.fullname}-hub")
    policy = dask_network_policy(alice.pod, release.name)
    created = kubernetes.client.NetworkingV1Api(hub.client).create_namespaced_network_policy(
        ns, policy)
    assert created.spec.pod_selector.match_labels["deslab.org/dask-owner"] == alice.name
    assert created.metadata.owner_references[0].uid == alice.uid


# --- the real operator ----------------------------------------------------------------------


@pytest.fixture
def dask_operator(kube_cluster: LiveCluster, release: Release,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The dask-kubernetes operator of the installed wheel (kopf), watching the release's
    namespace with the admin's kubeconfig, as its Helm chart would run it."""
    import os
    import subprocess
    import sys

    install_dask_crds(kube_cluster, extra=("daskautoscaler", "daskjob"))
    log = tmp_path_factory.mktemp("operator") / "operator.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kopf", "run", "--standalone", "--namespace",
             release.namespace, "-m", "dask_kubernetes.operator.controller"],
            env=dict(os.environ, KUBECONFIG=str(kube_cluster.kubeconfig)),
            stdout=out, stderr=subprocess.STDOUT)
    try:
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_real_operator_runs_an_admitted_cluster_and_no_hostile_pod(
        kube_cluster: LiveCluster, release: Release, dask_operator: None, tmp_path,
        monkeypatch) -> None:
    import shutil
    from urllib.parse import urlsplit

    import deslab.daskcluster

    ns = release.namespace
    dave = user_server(kube_cluster, release, "dave")
    # dave's notebook: the environment the hub sets, the token and CA the kubelet mounts
    mounted = tmp_path / "serviceaccount"
    mounted.mkdir()
    (mounted / "token").write_text(dave.token)
    (mounted / "namespace").write_text(ns)
    shutil.copy(kube_cluster.ca_file, mounted / "ca.crt")
    monkeypatch.setattr(deslab.daskcluster, "SERVICE_ACCOUNT_DIR", mounted)
    server = urlsplit(kube_cluster.server)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", server.hostname)
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(server.port))
    for name, value in spawner_env(release).items():
        monkeypatch.setenv(name, value)
    cluster = ddask.cluster(2, timeout=180)
    assert isinstance(cluster, OperatorCluster) and cluster.name == f"dask-{dave.uid}"
    core = kubernetes.client.CoreV1Api(kube_cluster.admin_client())
    selector = f"dask.org/cluster-name={cluster.name}"

    def running(workers: int) -> list[Any] | None:
        pods = core.list_namespaced_pod(ns, label_selector=selector).items
        up = [p for p in pods if p.status.phase == "Running"]
        parts = sorted(p.metadata.labels["dask.org/component"] for p in up)
        return up if parts == ["scheduler"] + ["worker"] * workers else None

    # Deployments -> ReplicaSets -> pods, each admitted by Pod Security restricted and the
    # pod policy, scheduled and Running (kwok)
    pods = kube_cluster.wait_for(lambda: running(2), "the operator's scheduler and 2 workers",
                                 180)
    for pod in pods:
        assert pod.spec.service_account_name == f"{release.fullname}-dask-pods"
        assert pod.spec.automount_service_account_token is False
        assert pod.spec.security_context.run_as_user == 1000
        assert pod.metadata.labels["deslab.org/dask-owner"] == dave.name
        assert not [v for v in pod.spec.volumes or [] if v.empty_dir is None]
    service = core.read_namespaced_service(f"{cluster.name}-scheduler", ns)
    assert service.spec.type == "ClusterIP"
    assert service.spec.selector == {"dask.org/cluster-name": cluster.name,
                                     "dask.org/component": "scheduler"}
    cluster.scale(3)
    kube_cluster.wait_for(lambda: running(3), "the operator to add a third worker", 180)

    # a hostile cluster made by someone the user policy does not cover (here the admin) gets
    # its Deployments from the operator, but not one pod: the pod policy refuses them
    hostile = copy.deepcopy(spec_for(release, api_for(kube_cluster, release, alice_like(
        kube_cluster, release)), 1))
    hostile["metadata"].update(name="dask-hostile", ownerReferences=[])
    for part in ("scheduler", "worker"):
        # the hub Secret: Pod Security restricted allows secret volumes, the pod policy not
        hostile["spec"][part]["spec"]["volumes"].append(
            {"name": "h", "secret": {"secretName": f"{release.fullname}-hub-secret"}})
    hostile["spec"]["scheduler"]["service"]["selector"]["dask.org/cluster-name"] = "dask-hostile"
    custom(kube_cluster.admin_client()).create_namespaced_custom_object(
        GROUP, VERSION, ns, PLURAL, hostile)
    apps = kubernetes.client.AppsV1Api(kube_cluster.admin_client())

    def refused_by_policy() -> bool:
        events = core.list_namespaced_event(ns).items
        return any(e.reason == "FailedCreate" and "dask-hostile" in e.involved_object.name
                   and "emptyDir volumes only" in (e.message or "") for e in events)

    kube_cluster.wait_for(refused_by_policy, "the ReplicaSet of the hostile scheduler to be "
                          "refused by the pod policy", 180)
    assert apps.list_namespaced_deployment(ns, label_selector="dask.org/cluster-name="
                                           "dask-hostile").items
    assert core.list_namespaced_pod(ns, label_selector="dask.org/cluster-name="
                                    "dask-hostile").items == []
    # closing asks the API to delete the cluster; the operator's finalizer then tears it
    # down, which needs a scheduler that answers (containers never run here)
    cluster.close()


def alice_like(kube_cluster: LiveCluster, release: Release) -> UserServer:
    """A throwaway user server (only its identity is used, to build a spec)."""
    return user_server(kube_cluster, release, "erin")
