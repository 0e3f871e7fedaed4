"""A live Kubernetes API on 127.0.0.1 for the tests: real control plane, fake kubelets.

``start_cluster`` runs, in a scratch directory, on free loopback ports:

- ``etcd`` (3.6, built from its Go module: Kubernetes 1.36 needs >= 3.5.13),
- ``kube-apiserver`` with RBAC authorization, TLS from a CA made here, service-account token
  signing (issuer ``https://kubernetes.default.svc.cluster.local``) and a token file with an
  admin token,
- ``kube-controller-manager`` (Jobs -> Pods, TTL after finished, garbage collector,
  namespaces, service accounts and their tokens, Deployments/ReplicaSets/StatefulSets,
  ResourceQuota, PersistentVolume binding, ...), each controller with its own service
  account,
- ``kube-scheduler`` (real scheduling: node selectors, affinity, resources, taints),
- ``kwok`` playing the kubelet of the fake nodes: nodes report Ready, a scheduled pod becomes
  Running, and a running pod ends when a test asks (:meth:`LiveCluster.succeed_pod`,
  :meth:`LiveCluster.fail_pod`; rules in ``kwok-stages.yaml``).

The binaries come from ``.cache/kube/bin`` (``KUBE_BIN_DIR`` overrides), built by
``scripts/kube-build.sh``, which ``make test`` runs first. Nothing here is skipped: a missing
binary fails the test with the command that builds it.

What this proves and what it cannot: admission, defaulting, validation, RBAC (real 403s,
SubjectAccessReview), controllers (Jobs create Pods, TTL, garbage collection), scheduling,
Helm's ``lookup``. Containers never run, volumes are never mounted, NetworkPolicies are
stored but not enforced, images are never pulled.

Examples
--------
>>> cluster = start_cluster(workdir)                                    # doctest: +SKIP
>>> core = kubernetes.client.CoreV1Api(cluster.admin_client())         # doctest: +SKIP
>>> ns = cluster.create_namespace("demo")                               # doctest: +SKIP
>>> alice = cluster.service_account(ns, "alice")                        # doctest: +SKIP
>>> cluster.can_i(alice.client, "list", "pods", namespace="kube-system")  # doctest: +SKIP
False
>>> cluster.stop()                                                      # doctest: +SKIP
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import kubernetes.client
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from kubernetes.client.rest import ApiException

ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(os.environ.get("KUBE_BIN_DIR") or ROOT / ".cache" / "kube" / "bin")
STAGES = Path(__file__).with_name("kwok-stages.yaml")
BUILD_COMMAND = "bash scripts/kube-build.sh  (make test runs it first)"

#: Annotation read by kwok's stage rules: ``Succeeded`` or ``Failed`` ends a running pod.
OUTCOME = "deslab.test/outcome"
#: Annotation: the containers' termination message (what a worker wrote to its
#: terminationMessagePath).
MESSAGE = "deslab.test/message"
#: Annotation: exit code of a failed pod's containers (default 1).
EXIT_CODE = "deslab.test/exit-code"
#: Annotation: termination reason of a failed pod's containers (default ``Error``).
REASON = "deslab.test/reason"
#: Annotation on the fake nodes that kwok manages.
KWOK_NODE = "kwok.x-k8s.io/node"
#: Label every fake node carries (select it in a nodeSelector if a test needs to).
NODE_LABEL = "deslab.test/fake-node"
#: The service-account issuer (and default audience) of the API server.
ISSUER = "https://kubernetes.default.svc.cluster.local"
#: The default StorageClass; :meth:`LiveCluster.add_volumes` makes volumes its claims bind to.
STORAGE_CLASS = "standard"

#: The controllers kube-controller-manager runs. The node lifecycle controller lifts the
#: not-ready taint that admission puts on every new node once kwok reports it Ready (kwok
#: renews the nodes' Leases); taint-based eviction stays off, so a test machine too busy to
#: renew a Lease in time never loses pods.
CONTROLLERS = (
    "node-lifecycle-controller",
    "serviceaccount-token-controller",
    "serviceaccount-controller",
    "root-ca-certificate-publisher-controller",
    "namespace-controller",
    "garbage-collector-controller",
    "job-controller",
    "cronjob-controller",
    "ttl-after-finished-controller",
    "pod-garbage-collector-controller",
    "deployment-controller",
    "replicaset-controller",
    "statefulset-controller",
    "daemonset-controller",
    "disruption-controller",
    "endpointslice-controller",
    "resourcequota-controller",
    "clusterrole-aggregation-controller",
    "persistentvolume-binder-controller",
    "persistentvolume-protection-controller",
    "persistentvolumeclaim-protection-controller",
    "ephemeral-volume-controller",
    "validatingadmissionpolicy-status-controller",
)

T = TypeVar("T")


class ClusterError(RuntimeError):
    """The test cluster could not start or a wait ran out; the message says what to do."""


@dataclass
class Identity:
    """A service account with a real token bound by the API server (TokenRequest).

    Attributes
    ----------
    namespace, name : str
        The ServiceAccount.
    token : str
        A bound token (audience: the API server) for it.
    client : kubernetes.client.ApiClient
        A client authenticated as the service account only.
    kubeconfig : Path
        A kubeconfig file with that token, for tools that read one (Helm, KubeSpawner).
    """

    namespace: str
    name: str
    token: str
    client: kubernetes.client.ApiClient
    kubeconfig: Path

    @property
    def username(self) -> str:
        """The user name RBAC sees: ``system:serviceaccount:<namespace>:<name>``."""
        return f"system:serviceaccount:{self.namespace}:{self.name}"


@dataclass
class LiveCluster:
    """A running test control plane (see the module docstring); made by :func:`start_cluster`.

    Attributes
    ----------
    workdir : Path
        Scratch directory: certificates, etcd data, kubeconfigs and each process's log
        (``<name>.log``).
    server : str
        The API server's URL, ``https://127.0.0.1:<port>``.
    ca_file : Path
        The CA that signed the API server's certificate (and the service-account CA bundle).
    admin_token : str
        Token of a ``system:masters`` user.
    kubeconfig : Path
        A kubeconfig file for that admin user.
    nodes : list of str
        The fake nodes made so far.
    """

    workdir: Path
    server: str
    ca_file: Path
    admin_token: str
    kubeconfig: Path
    nodes: list[str] = field(default_factory=list)
    _processes: list[tuple[str, subprocess.Popen]] = field(default_factory=list, repr=False)
    _admin: kubernetes.client.ApiClient | None = field(default=None, repr=False)

    # --- clients ------------------------------------------------------------------------------

    def client_for_token(self, token: str) -> kubernetes.client.ApiClient:
        """An API client that authenticates with ``token`` (and trusts the cluster's CA)."""
        conf = kubernetes.client.Configuration()
        conf.host = self.server
        conf.ssl_ca_cert = str(self.ca_file)
        conf.api_key = {"authorization": token}
        conf.api_key_prefix = {"authorization": "Bearer"}
        return kubernetes.client.ApiClient(conf)

    def admin_client(self) -> kubernetes.client.ApiClient:
        """The admin (``system:masters``) client, shared."""
        if self._admin is None:
            self._admin = self.client_for_token(self.admin_token)
        return self._admin

    def write_kubeconfig(self, path: Path, token: str, *, namespace: str = "default") -> Path:
        """Write a kubeconfig for ``token`` to ``path`` (mode 0600) and return ``path``."""
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "deslab-test",
                          "cluster": {"server": self.server,
                                      "certificate-authority": str(self.ca_file)}}],
            "users": [{"name": "user", "user": {"token": token}}],
            "contexts": [{"name": "deslab-test",
                          "context": {"cluster": "deslab-test", "user": "user",
                                      "namespace": namespace}}],
            "current-context": "deslab-test",
        }
        path.write_text(yaml.safe_dump(doc))
        path.chmod(0o600)
        return path

    # --- namespaces and identities -----------------------------------------------------------

    def create_namespace(self, prefix: str = "t", *, labels: dict[str, str] | None = None) -> str:
        """Create a namespace named ``<prefix>-<random>`` and return its name."""
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        body = kubernetes.client.V1Namespace(
            metadata=kubernetes.client.V1ObjectMeta(name=name, labels=labels or {}))
        kubernetes.client.CoreV1Api(self.admin_client()).create_namespace(body)
        return name

    def delete_namespace(self, name: str, *, wait: bool = False, timeout: float = 120) -> None:
        """Delete a namespace (the namespace controller removes what it held)."""
        core = kubernetes.client.CoreV1Api(self.admin_client())
        try:
            core.delete_namespace(name)
        except ApiException as exc:
            if exc.status != 404:
                raise
        if wait:
            self.wait_for(lambda: _gone(lambda: core.read_namespace(name)),
                          f"namespace {name} to be deleted", timeout)

    def service_account(self, namespace: str, name: str, *,
                        expiration_seconds: int = 3600) -> Identity:
        """Create (or reuse) ServiceAccount ``namespace/name`` and act as it.

        The token comes from the TokenRequest API, so it is a real bound token signed by the
        API server: requests with it are authorized by RBAC like a pod's would be.
        """
        core = kubernetes.client.CoreV1Api(self.admin_client())
        try:
            core.create_namespaced_service_account(
                namespace, kubernetes.client.V1ServiceAccount(
                    metadata=kubernetes.client.V1ObjectMeta(name=name)))
        except ApiException as exc:
            if exc.status != 409:
                raise
        request = kubernetes.client.AuthenticationV1TokenRequest(
            spec=kubernetes.client.V1TokenRequestSpec(
                audiences=[ISSUER], expiration_seconds=expiration_seconds))
        token = core.create_namespaced_service_account_token(name, namespace, request)
        token_value = token.status.token
        kubeconfig = self.write_kubeconfig(
            self.workdir / f"kubeconfig-{namespace}-{name}", token_value, namespace=namespace)
        return Identity(namespace, name, token_value, self.client_for_token(token_value),
                        kubeconfig)

    def can_i(self, client: kubernetes.client.ApiClient, verb: str, resource: str, *,
              namespace: str | None = None, group: str = "", name: str | None = None,
              subresource: str | None = None) -> bool:
        """Ask the API server (SelfSubjectAccessReview) whether ``client`` may do this."""
        review = kubernetes.client.V1SelfSubjectAccessReview(
            spec=kubernetes.client.V1SelfSubjectAccessReviewSpec(
                resource_attributes=kubernetes.client.V1ResourceAttributes(
                    verb=verb, resource=resource, group=group, namespace=namespace,
                    name=name, subresource=subresource)))
        answer = kubernetes.client.AuthorizationV1Api(client).create_self_subject_access_review(
            review)
        return bool(answer.status.allowed)

    def user_can(self, user: str, verb: str, resource: str, *, namespace: str | None = None,
                 group: str = "", name: str | None = None, subresource: str | None = None,
                 groups: list[str] | None = None) -> bool:
        """Ask the API server (SubjectAccessReview, as admin) whether ``user`` may do this."""
        review = kubernetes.client.V1SubjectAccessReview(
            spec=kubernetes.client.V1SubjectAccessReviewSpec(
                user=user, groups=groups,
                resource_attributes=kubernetes.client.V1ResourceAttributes(
                    verb=verb, resource=resource, group=group, namespace=namespace,
                    name=name, subresource=subresource)))
        answer = kubernetes.client.AuthorizationV1Api(
            self.admin_client()).create_subject_access_review(review)
        return bool(answer.status.allowed)

    # --- nodes, volumes, pods ----------------------------------------------------------------

    def add_node(self, name: str, *, labels: dict[str, str] | None = None,
                 capacity: dict[str, str] | None = None,
                 taints: list[dict[str, str]] | None = None, wait: bool = True) -> str:
        """Create a fake node kwok manages (Ready within seconds) and return its name.

        Parameters
        ----------
        name : str
            Node name (also its ``kubernetes.io/hostname`` label).
        labels : dict, optional
            Extra labels (e.g. ``{"node.kubernetes.io/instance-type": "gpu"}``).
        capacity : dict, optional
            Capacity and allocatable, e.g. ``{"cpu": "8", "memory": "32Gi", "pods": "110",
            "nvidia.com/gpu": "1"}``; default 64 CPUs, 256 GiB, 110 pods.
        taints : list of dict, optional
            ``[{"key": ..., "value": ..., "effect": "NoSchedule"}]``.
        wait : bool
            Wait until the node reports Ready.
        """
        node_labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                       "kubernetes.io/arch": "amd64", NODE_LABEL: "true", **(labels or {})}
        body: dict[str, Any] = {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": node_labels,
                         "annotations": {KWOK_NODE: "fake"}},
            "spec": {"taints": taints or []},
        }
        if capacity:
            body["status"] = {"capacity": capacity, "allocatable": capacity}
        core = kubernetes.client.CoreV1Api(self.admin_client())
        core.create_node(body)
        self.nodes.append(name)
        if wait:
            self.wait_for(lambda: _node_ready(core, name), f"fake node {name} to be Ready", 60)
        return name

    def add_volumes(self, count: int, *, size: str = "100Gi",
                    access_modes: tuple[str, ...] = ("ReadWriteOnce",),
                    storage_class: str = STORAGE_CLASS, prefix: str = "pv") -> list[str]:
        """Create ``count`` PersistentVolumes that claims of ``storage_class`` bind to.

        No provisioner runs here: the PersistentVolume binder in kube-controller-manager binds
        a claim to an available volume that is large enough (as with static provisioning).
        Nothing is mounted. Returns the volume names; delete them with
        :meth:`delete_volumes`.
        """
        core = kubernetes.client.CoreV1Api(self.admin_client())
        names = []
        for _ in range(count):
            name = f"{prefix}-{uuid.uuid4().hex[:8]}"
            core.create_persistent_volume({
                "apiVersion": "v1", "kind": "PersistentVolume",
                "metadata": {"name": name},
                "spec": {"capacity": {"storage": size}, "accessModes": list(access_modes),
                         "storageClassName": storage_class,
                         "persistentVolumeReclaimPolicy": "Delete",
                         "hostPath": {"path": f"/var/lib/deslab-test/{name}"}},
            })
            names.append(name)
        return names

    def delete_volumes(self, names: list[str]) -> None:
        """Delete PersistentVolumes made by :meth:`add_volumes` (missing ones are fine)."""
        core = kubernetes.client.CoreV1Api(self.admin_client())
        for name in names:
            try:
                core.delete_persistent_volume(name)
            except ApiException as exc:
                if exc.status != 404:
                    raise

    def install_crds(self, crds: list[dict[str, Any]], *, timeout: float = 60) -> None:
        """Create CustomResourceDefinitions (existing ones are kept) and wait until the API
        serves them (condition Established)."""
        api = kubernetes.client.ApiextensionsV1Api(self.admin_client())
        for crd in crds:
            try:
                api.create_custom_resource_definition(crd)
            except ApiException as exc:
                if exc.status != 409:
                    raise
        for crd in crds:
            name = crd["metadata"]["name"]

            def established(name: str = name) -> bool:
                status = api.read_custom_resource_definition(name).status
                return any(c.type == "Established" and c.status == "True"
                           for c in (status.conditions or []))

            self.wait_for(established, f"CRD {name} to be established", timeout)

    def succeed_pod(self, namespace: str, name: str, *, message: str = "",
                    wait: bool = True, timeout: float = 60) -> kubernetes.client.V1Pod:
        """End a running pod as if its containers exited 0 with termination ``message``."""
        return self._end_pod(namespace, name, {OUTCOME: "Succeeded", MESSAGE: message},
                             "Succeeded", wait, timeout)

    def fail_pod(self, namespace: str, name: str, *, message: str = "", exit_code: int = 1,
                 reason: str = "Error", wait: bool = True,
                 timeout: float = 60) -> kubernetes.client.V1Pod:
        """End a running pod as if its containers exited ``exit_code`` (``reason``, e.g.
        ``OOMKilled``) with termination ``message``."""
        return self._end_pod(namespace, name, {OUTCOME: "Failed", MESSAGE: message,
                                               EXIT_CODE: str(exit_code), REASON: reason},
                             "Failed", wait, timeout)

    def _end_pod(self, namespace: str, name: str, annotations: dict[str, str], phase: str,
                 wait: bool, timeout: float) -> kubernetes.client.V1Pod:
        core = kubernetes.client.CoreV1Api(self.admin_client())
        self.wait_pod_phase(namespace, name, {"Running", phase}, timeout=timeout)
        core.patch_namespaced_pod(name, namespace, {"metadata": {"annotations": annotations}})
        if not wait:
            return core.read_namespaced_pod(name, namespace)
        return self.wait_pod_phase(namespace, name, {phase}, timeout=timeout)

    def wait_pod_phase(self, namespace: str, name: str, phases: set[str], *,
                       timeout: float = 60) -> kubernetes.client.V1Pod:
        """Wait until pod ``namespace/name`` is in one of ``phases``; return it."""
        core = kubernetes.client.CoreV1Api(self.admin_client())

        def check() -> kubernetes.client.V1Pod | None:
            try:
                pod = core.read_namespaced_pod(name, namespace)
            except ApiException as exc:
                if exc.status == 404:
                    return None
                raise
            return pod if pod.status and pod.status.phase in phases else None

        return self.wait_for(check, f"pod {namespace}/{name} to be {'/'.join(sorted(phases))}",
                             timeout)

    # --- waiting and stopping ----------------------------------------------------------------

    def wait_for(self, check: Callable[[], T], what: str, timeout: float,
                 interval: float = 0.2) -> T:
        """Poll ``check`` until it returns something truthy; return that.

        Raises ``ClusterError`` naming ``what`` after ``timeout`` seconds, or at once if a
        process of the cluster has exited (with the end of its log).
        """
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive()
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise ClusterError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(interval)

    def _check_alive(self) -> None:
        for name, proc in self._processes:
            if proc.poll() is not None:
                raise ClusterError(
                    f"{name} exited with status {proc.returncode}; its log "
                    f"({self.workdir / (name + '.log')}) ends:\n{_tail(self.workdir, name)}")

    def stop(self) -> None:
        """Stop every process (kwok and controllers first, etcd last) and wait for them."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        for _name, proc in reversed(self._processes):
            _stop_process(proc)
        self._processes.clear()


# --- starting ---------------------------------------------------------------------------------


def start_cluster(workdir: Path, *, nodes: int = 2, timeout: float = 180) -> LiveCluster:
    """Start the test cluster in ``workdir`` and return it once every part works.

    Parameters
    ----------
    workdir : Path
        An empty scratch directory (kept afterwards for the logs).
    nodes : int
        Fake nodes to create (``kwok-node-0``, ...).
    timeout : float
        Seconds each part may take to become ready (a loaded 2-core machine is slow).

    Raises
    ------
    ClusterError
        A binary is missing (with the command that builds it), or a part did not start
        (with the end of its log).
    """
    binaries = _binaries()
    workdir.mkdir(parents=True, exist_ok=True)
    pki = _make_pki(workdir)
    tokens = {user: secrets.token_urlsafe(24) for user in
              ("admin", "controller-manager", "scheduler", "kwok")}
    (workdir / "tokens.csv").write_text(
        f'{tokens["admin"]},deslab-test-admin,uid-admin,"system:masters"\n'
        f'{tokens["controller-manager"]},system:kube-controller-manager,uid-kcm\n'
        f'{tokens["scheduler"]},system:kube-scheduler,uid-scheduler\n'
        f'{tokens["kwok"]},deslab-test-kwok,uid-kwok,"system:masters"\n')
    (workdir / "tokens.csv").chmod(0o600)

    etcd_client, etcd_peer, api_port, kwok_port = _free_ports(4)
    server = f"https://127.0.0.1:{api_port}"
    cluster = LiveCluster(workdir=workdir, server=server, ca_file=pki["ca.crt"],
                          admin_token=tokens["admin"], kubeconfig=workdir / "kubeconfig")
    cluster.write_kubeconfig(cluster.kubeconfig, tokens["admin"])
    kubeconfigs = {user: cluster.write_kubeconfig(workdir / f"kubeconfig-{user}", token)
                   for user, token in tokens.items()}
    try:
        _spawn(cluster, "etcd", [
            binaries["etcd"], "--name", "deslab-test", "--data-dir", str(workdir / "etcd"),
            "--listen-client-urls", f"http://127.0.0.1:{etcd_client}",
            "--advertise-client-urls", f"http://127.0.0.1:{etcd_client}",
            "--listen-peer-urls", f"http://127.0.0.1:{etcd_peer}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{etcd_peer}",
            "--initial-cluster", f"deslab-test=http://127.0.0.1:{etcd_peer}",
            "--unsafe-no-fsync", "--quota-backend-bytes", str(2 * 1024**3)])
        _spawn(cluster, "kube-apiserver", [
            binaries["kube-apiserver"],
            f"--etcd-servers=http://127.0.0.1:{etcd_client}",
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
            f"--secure-port={api_port}",
            f"--tls-cert-file={pki['apiserver.crt']}",
            f"--tls-private-key-file={pki['apiserver.key']}",
            f"--client-ca-file={pki['ca.crt']}",
            f"--token-auth-file={workdir / 'tokens.csv'}",
            f"--service-account-issuer={ISSUER}",
            f"--service-account-key-file={pki['sa.pub']}",
            f"--service-account-signing-key-file={pki['sa.key']}",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--authorization-mode=RBAC",
            "--allow-privileged=true",
            "--endpoint-reconciler-type=none",
            "--profiling=false",
            "--v=1"])
        cluster.wait_for(lambda: _ready(server, pki["ca.crt"], tokens["admin"]),
                         "kube-apiserver /readyz", timeout)
        _spawn(cluster, "kube-controller-manager", [
            binaries["kube-controller-manager"],
            f"--kubeconfig={kubeconfigs['controller-manager']}",
            "--secure-port=0",
            "--leader-elect=false",
            "--use-service-account-credentials=true",
            f"--controllers={','.join(CONTROLLERS)}",
            f"--service-account-private-key-file={pki['sa.key']}",
            f"--root-ca-file={pki['ca.crt']}",
            "--concurrent-job-syncs=5",
            # a busy 2-core machine may starve kwok's Lease renewals; nodes never really die
            "--node-monitor-grace-period=300s",
            "--v=1"])
        _spawn(cluster, "kube-scheduler", [
            binaries["kube-scheduler"],
            f"--kubeconfig={kubeconfigs['scheduler']}",
            f"--authentication-kubeconfig={kubeconfigs['scheduler']}",
            f"--authorization-kubeconfig={kubeconfigs['scheduler']}",
            "--secure-port=0",
            "--leader-elect=false",
            "--v=1"])
        _spawn(cluster, "kwok", [
            binaries["kwok"],
            f"--kubeconfig={kubeconfigs['kwok']}",
            f"--config={STAGES}",
            f"--manage-nodes-with-annotation-selector={KWOK_NODE}=fake",
            f"--server-address=127.0.0.1:{kwok_port}",
            "--cidr=10.244.0.0/16",
            "--node-lease-duration-seconds=40",
            "--node-ip=10.10.0.1"])

        core = kubernetes.client.CoreV1Api(cluster.admin_client())
        # kube-controller-manager works once it has made the default service account.
        cluster.wait_for(lambda: _exists(lambda: core.read_namespaced_service_account(
            "default", "default")), "kube-controller-manager (default ServiceAccount)", timeout)
        kubernetes.client.StorageV1Api(cluster.admin_client()).create_storage_class({
            "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": STORAGE_CLASS, "annotations": {
                "storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "kubernetes.io/no-provisioner",
            "volumeBindingMode": "Immediate"})
        for i in range(nodes):
            cluster.add_node(f"kwok-node-{i}", wait=False)
        for name in cluster.nodes:
            cluster.wait_for(lambda name=name: _node_ready(core, name),
                             f"kwok to make node {name} Ready", timeout)
        _smoke_pod(cluster, core, timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _smoke_pod(cluster: LiveCluster, core: kubernetes.client.CoreV1Api, timeout: float) -> None:
    """Schedule one pod (kube-scheduler) and see it Running (kwok), then delete it."""
    name = "deslab-test-smoke"
    core.create_namespaced_pod("default", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "registry.invalid/none:0"}],
                 "automountServiceAccountToken": False}})
    cluster.wait_pod_phase("default", name, {"Running"}, timeout=timeout)
    core.delete_namespaced_pod(name, "default")
    cluster.wait_for(lambda: _gone(lambda: core.read_namespaced_pod(name, "default")),
                     "the smoke pod to be deleted (kwok)", timeout)


def _binaries() -> dict[str, str]:
    found = {}
    for name in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"):
        path = BIN_DIR / name
        if not os.access(path, os.X_OK):
            raise ClusterError(f"{path} is missing: build the test cluster's binaries with "
                               f"{BUILD_COMMAND}")
        found[name] = str(path)
    return found


def _spawn(cluster: LiveCluster, name: str, argv: list[str]) -> None:
    # setpriv (util-linux) makes the kernel SIGKILL the process when the test process dies,
    # so no part outlives a crash (without preexec_fn, which is unsafe with threads).
    log = open(cluster.workdir / f"{name}.log", "wb")  # noqa: SIM115 (kept by the process)
    try:
        proc = subprocess.Popen(["setpriv", "--pdeathsig", "KILL", *argv], stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=cluster.workdir, start_new_session=True)
    finally:
        log.close()
    cluster._processes.append((name, proc))


def _stop_process(proc: subprocess.Popen, grace: float = 10) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(grace)


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _ready(server: str, ca_file: Path, token: str) -> bool:
    context = ssl.create_default_context(cafile=str(ca_file))
    request = urllib.request.Request(f"{server}/readyz",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, context=context, timeout=5) as answer:
            return answer.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, ssl.SSLError):
        return False


def _exists(read: Callable[[], Any]) -> bool:
    try:
        read()
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def _gone(read: Callable[[], Any]) -> bool:
    return not _exists(read)


def _node_ready(core: kubernetes.client.CoreV1Api, name: str) -> bool:
    node = core.read_node(name)
    return any(c.type == "Ready" and c.status == "True"
               for c in (node.status.conditions or []))


def _tail(workdir: Path, name: str, lines: int = 25) -> str:
    try:
        text = (workdir / f"{name}.log").read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


# --- certificates -------------------------------------------------------------------------------


def _make_pki(workdir: Path) -> dict[str, Path]:
    """A CA, the API server's serving certificate and the service-account key pair."""
    pki = workdir / "pki"
    pki.mkdir(mode=0o700)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "deslab-test-ca")])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(
                   digital_signature=True, key_cert_sign=True, crl_sign=True,
                   content_commitment=False, key_encipherment=False, data_encipherment=False,
                   key_agreement=False, encipher_only=False, decipher_only=False),
                   critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                              critical=False)
               .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    names = ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
             "kubernetes.default.svc.cluster.local"]
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName(n) for n in names]
                + [x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                   x509.IPAddress(ipaddress.ip_address("10.96.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    files = {
        "ca.crt": ca_cert.public_bytes(serialization.Encoding.PEM),
        "apiserver.crt": cert.public_bytes(serialization.Encoding.PEM),
        "apiserver.key": _private_pem(key),
        "sa.key": _private_pem(sa_key),
        "sa.pub": sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    }
    paths = {}
    for name, data in files.items():
        path = pki / name
        path.write_bytes(data)
        path.chmod(0o600)
        paths[name] = path
    return paths


def _private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())

