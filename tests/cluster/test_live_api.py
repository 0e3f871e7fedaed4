"""The test cluster itself: a real API server with RBAC, controllers, scheduler and kwok."""

from __future__ import annotations

import kubernetes.client
import pytest
from kubernetes.client.rest import ApiException

from tests.cluster.live_api import NODE_LABEL, LiveCluster

pytestmark = pytest.mark.cluster


def _job(name: str, *, ttl: int | None = None, backoff: int = 0) -> dict:
    return {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"backoffLimit": backoff, "ttlSecondsAfterFinished": ttl,
                 "template": {"spec": {
                     "restartPolicy": "Never", "automountServiceAccountToken": False,
                     "containers": [{"name": "worker", "image": "registry.invalid/w:1"}]}}},
    }


def _job_pod(cluster: LiveCluster, namespace: str, job: str) -> kubernetes.client.V1Pod:
    core = kubernetes.client.CoreV1Api(cluster.admin_client())

    def pod():
        pods = core.list_namespaced_pod(namespace, label_selector=f"job-name={job}").items
        return pods[0] if pods else None

    found = cluster.wait_for(pod, f"the controller manager to create a pod for Job {job}", 60)
    return cluster.wait_pod_phase(namespace, found.metadata.name, {"Running"})


def test_fake_nodes_are_ready_and_scheduled_pods_run(kube_cluster, kube_namespace):
    core = kubernetes.client.CoreV1Api(kube_cluster.admin_client())
    nodes = core.list_node(label_selector=f"{NODE_LABEL}=true").items
    assert len(nodes) >= 2
    assert all(any(c.type == "Ready" and c.status == "True" for c in n.status.conditions)
               for n in nodes)

    # kube-scheduler places a pod by its nodeSelector; kwok starts it.
    kube_cluster.add_node("kwok-gpu-0", labels={"node.kubernetes.io/instance-type": "gpu"},
                          capacity={"cpu": "8", "memory": "32Gi", "pods": "110",
                                    "nvidia.com/gpu": "1"})
    core.create_namespaced_pod(kube_namespace, {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "gpu"},
        "spec": {"nodeSelector": {"node.kubernetes.io/instance-type": "gpu"},
                 "containers": [{"name": "c", "image": "registry.invalid/c:1",
                                 "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}})
    pod = kube_cluster.wait_pod_phase(kube_namespace, "gpu", {"Running"})
    assert pod.spec.node_name == "kwok-gpu-0"
    assert pod.status.pod_ip

    # A second pod asking for the only GPU stays Pending: the scheduler really counts.
    core.create_namespaced_pod(kube_namespace, {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "gpu2"},
        "spec": {"containers": [{"name": "c", "image": "registry.invalid/c:1",
                                 "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}})
    unschedulable = kube_cluster.wait_for(
        lambda: any(c.type == "PodScheduled" and c.status == "False"
                    for c in (core.read_namespaced_pod("gpu2", kube_namespace).status.conditions
                              or [])),
        "the scheduler to report gpu2 unschedulable", 60)
    assert unschedulable


def test_job_creates_pod_that_succeeds_with_a_termination_message(kube_cluster,
                                                                  kube_namespace):
    batch = kubernetes.client.BatchV1Api(kube_cluster.admin_client())
    batch.create_namespaced_job(kube_namespace, _job("ok", ttl=2))
    pod = _job_pod(kube_cluster, kube_namespace, "ok")

    done = kube_cluster.succeed_pod(kube_namespace, pod.metadata.name,
                                    message='{"phase": "COMPLETED"}')
    terminated = done.status.container_statuses[0].state.terminated
    assert (terminated.exit_code, terminated.message) == (0, '{"phase": "COMPLETED"}')

    def complete():
        job = batch.read_namespaced_job("ok", kube_namespace)
        return job if job.status.succeeded == 1 else None

    kube_cluster.wait_for(complete, "Job ok to complete", 60)
    # ttlSecondsAfterFinished: the TTL controller deletes the Job, the garbage collector its pod.
    kube_cluster.wait_for(lambda: not _exists(batch.read_namespaced_job, "ok", kube_namespace),
                          "the TTL controller to delete Job ok", 60)
    core = kubernetes.client.CoreV1Api(kube_cluster.admin_client())
    kube_cluster.wait_for(
        lambda: not _exists(core.read_namespaced_pod, pod.metadata.name, kube_namespace),
        "the garbage collector to delete the Job's pod", 60)


def test_failed_pod_fails_the_job_with_its_reason(kube_cluster, kube_namespace):
    batch = kubernetes.client.BatchV1Api(kube_cluster.admin_client())
    batch.create_namespaced_job(kube_namespace, _job("bad"))
    pod = _job_pod(kube_cluster, kube_namespace, "bad")

    failed = kube_cluster.fail_pod(kube_namespace, pod.metadata.name, message="out of memory",
                                   exit_code=137, reason="OOMKilled")
    terminated = failed.status.container_statuses[0].state.terminated
    assert (terminated.exit_code, terminated.reason, terminated.message) == (
        137, "OOMKilled", "out of memory")

    def failed_condition():
        job = batch.read_namespaced_job("bad", kube_namespace)
        return [c for c in (job.status.conditions or []) if c.type == "Failed"]

    (condition,) = kube_cluster.wait_for(failed_condition, "Job bad to fail", 60)
    assert condition.reason == "BackoffLimitExceeded"


def test_deleting_a_job_deletes_its_running_pods(kube_cluster, kube_namespace):
    batch = kubernetes.client.BatchV1Api(kube_cluster.admin_client())
    core = kubernetes.client.CoreV1Api(kube_cluster.admin_client())
    batch.create_namespaced_job(kube_namespace, _job("cancel"))
    pod = _job_pod(kube_cluster, kube_namespace, "cancel")
    batch.delete_namespaced_job("cancel", kube_namespace, propagation_policy="Background")
    kube_cluster.wait_for(
        lambda: not _exists(core.read_namespaced_pod, pod.metadata.name, kube_namespace),
        "the running pod of a deleted Job to go away", 60)


def test_service_account_tokens_are_authorized_by_rbac(kube_cluster, kube_namespace):
    alice = kube_cluster.service_account(kube_namespace, "alice")
    core_as_alice = kubernetes.client.CoreV1Api(alice.client)

    # A real bound token: the API server knows who it is ...
    review = kubernetes.client.AuthenticationV1Api(alice.client).create_self_subject_review(
        kubernetes.client.V1SelfSubjectReview())
    assert review.status.user_info.username == alice.username

    # ... and RBAC refuses what no Role grants, with a real 403.
    with pytest.raises(ApiException) as refused:
        core_as_alice.list_namespaced_pod(kube_namespace)
    assert refused.value.status == 403
    assert not kube_cluster.can_i(alice.client, "list", "pods", namespace=kube_namespace)
    assert not kube_cluster.user_can(alice.username, "list", "pods", namespace=kube_namespace)

    rbac = kubernetes.client.RbacAuthorizationV1Api(kube_cluster.admin_client())
    rbac.create_namespaced_role(kube_namespace, {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "pod-reader"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]})
    rbac.create_namespaced_role_binding(kube_namespace, {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "alice-reads-pods"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                    "name": "pod-reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "alice",
                      "namespace": kube_namespace}]})
    kube_cluster.wait_for(
        lambda: kube_cluster.can_i(alice.client, "list", "pods", namespace=kube_namespace),
        "the RoleBinding to take effect", 30)
    assert core_as_alice.list_namespaced_pod(kube_namespace).items == []
    # The grant stops at the namespace and at the verbs.
    assert not kube_cluster.can_i(alice.client, "list", "pods", namespace="kube-system")
    assert not kube_cluster.can_i(alice.client, "delete", "pods", namespace=kube_namespace)
    assert not kube_cluster.can_i(alice.client, "get", "secrets", namespace=kube_namespace)


def test_claims_bind_to_volumes_and_validation_is_real(kube_cluster, kube_namespace):
    core = kubernetes.client.CoreV1Api(kube_cluster.admin_client())
    volumes = kube_cluster.add_volumes(1, size="10Gi")
    try:
        core.create_namespaced_persistent_volume_claim(kube_namespace, {
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "home"},
            "spec": {"accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": "5Gi"}}}})
        claim = kube_cluster.wait_for(
            lambda: (c := core.read_namespaced_persistent_volume_claim("home", kube_namespace))
            .status.phase == "Bound" and c, "the claim to bind", 60)
        assert claim.spec.volume_name == volumes[0]
        assert claim.spec.storage_class_name == "standard"  # defaulted by admission
    finally:
        core.delete_namespaced_persistent_volume_claim("home", kube_namespace)
        kube_cluster.delete_volumes(volumes)

    # The API server's own validation, defaulting and conflict semantics.
    with pytest.raises(ApiException) as invalid:
        core.create_namespaced_config_map(kube_namespace, {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Not_A_Name"}})
    assert invalid.value.status == 422
    core.create_namespaced_config_map(kube_namespace, {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "one"}})
    with pytest.raises(ApiException) as exists:
        core.create_namespaced_config_map(kube_namespace, {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "one"}})
    assert exists.value.status == 409
    stale = core.read_namespaced_config_map("one", kube_namespace)
    core.patch_namespaced_config_map("one", kube_namespace, {"data": {"a": "1"}})
    stale.data = {"a": "2"}
    with pytest.raises(ApiException) as conflict:
        core.replace_namespaced_config_map("one", kube_namespace, stale)
    assert conflict.value.status == 409


def _exists(read, *args) -> bool:
    try:
        read(*args)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True
