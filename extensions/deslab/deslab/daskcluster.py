"""A user server's Dask cluster on Kubernetes: one ``DaskCluster`` object for the operator.

The chart lets a user server's service account create, read by name, patch and delete
``DaskCluster`` objects and nothing else; ValidatingAdmissionPolicies decide what such an
object may hold (see ``helm-chart/deslab/templates/dask/admission.yaml`` and
docs/deployment.md, "Dask enabled safely"). The API server knows which pod a request comes
from (the service-account token is bound to the pod), so the cluster this module creates is:

- named ``dask-<pod uid>`` (one cluster per server) and owned by the server's pod, so the
  garbage collector deletes it with the pod;
- labelled with the release and the owner pod, which the hub's per-server NetworkPolicy uses
  to let only that server reach the scheduler;
- made of pods pinned to the chart's image, uid, seccomp profile, dropped capabilities, a
  service account without token, and the per-server caps (worker count and size).

:class:`OperatorCluster` is what :func:`deslab.dask.cluster` returns in Kubernetes mode: pass
it to ``distributed.Client``; ``scale(n)`` patches the worker count (the API server refuses
more than the cap); ``close()`` deletes the object. Errors the API server returns become
:class:`DaskClusterError` with its reason, never a traceback of the HTTP client.
"""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from distributed.core import Status

from deslab.errors import ConfigurationError

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
API_GROUP = "kubernetes.dask.org/v1"
SCHEDULER_PORT = 8786
DASHBOARD_PORT = 8787


class DaskClusterError(ConfigurationError):
    """The Kubernetes API refused or could not serve a Dask cluster request; says why."""


@dataclass(frozen=True)
class PodIdentity:
    """The pod a service-account token is bound to, as the API server will see it."""

    namespace: str
    name: str
    uid: str


def pod_identity(token: str) -> PodIdentity:
    """Read the pod binding out of a bound service-account token (a JWT).

    The claims are read, not verified: the API server verifies them on every request, and this
    only predicts what it will take as the owner.

    Raises
    ------
    DaskClusterError
        When the token is not bound to a pod (then the API server refuses Dask clusters too).
    """
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        k8s = claims["kubernetes.io"]
        return PodIdentity(k8s["namespace"], k8s["pod"]["name"], k8s["pod"]["uid"])
    except (IndexError, KeyError, TypeError, ValueError):
        raise DaskClusterError(
            "this server's Kubernetes token is not bound to its pod, so it cannot own a Dask "
            "cluster; ask the operator to enable Dask (dask.enabled) for user servers"
        ) from None


class ApiRefusal(DaskClusterError):
    """The API server answered with an error status; ``code`` and ``reason`` say which."""

    def __init__(self, code: int, reason: str, message: str, what: str) -> None:
        self.code = code
        self.reason = reason
        self.api_message = message
        hint = {
            401: "the server's token expired or is not valid; restart the server",
            403: "refused by the cluster's policy",
            404: "it does not exist (the operator's CRDs may be missing)",
            409: "it exists already",
            422: "refused by the cluster's policy",
            429: "the cluster's quota is used up; close other Dask clusters or ask the operator",
        }.get(code, f"HTTP {code}")
        # the API server's message names the policy that refused and why
        super().__init__(f"Kubernetes could not {what}: {hint}: {_short(message)}")


def _short(message: str) -> str:
    marker = "denied request: "
    return message.split(marker, 1)[1] if marker in message else message


class KubeAPI:
    """The few DaskCluster calls a user server may make, with its own token.

    Parameters
    ----------
    server : str
        The API server's URL.
    token : str
        A service-account token bound to the calling pod.
    ca_file : str or None
        CA bundle of the API server (``None``: the system's).
    namespace : str
        Namespace of the Dask clusters (the release's).
    timeout : float
        Seconds for each HTTP request.
    """

    def __init__(self, server: str, token: str, ca_file: str | None, namespace: str,
                 timeout: float = 30) -> None:
        self.server = server.rstrip("/")
        self.namespace = namespace
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {token}"
        # per request: a session-wide setting loses to REQUESTS_CA_BUNDLE in requests
        self._verify: str | bool = ca_file or True
        self.identity = pod_identity(token)

    @classmethod
    def in_pod(cls, namespace: str) -> KubeAPI:
        """The client of a user server: its mounted token, CA and the in-cluster API address."""
        host = os.environ.get("KUBERNETES_SERVICE_HOST")
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        token_file = SERVICE_ACCOUNT_DIR / "token"
        if not host or not token_file.is_file():
            raise DaskClusterError(
                "no Kubernetes API token in this server: Dask clusters on Kubernetes need the "
                "chart's dask.enabled (or use DESLAB_DASK_MODE=local)"
            )
        host = f"[{host}]" if ":" in host else host
        return cls(f"https://{host}:{port}", token_file.read_text().strip(),
                   str(SERVICE_ACCOUNT_DIR / "ca.crt"), namespace)

    def _url(self, name: str = "") -> str:
        url = f"{self.server}/apis/{API_GROUP}/namespaces/{self.namespace}/daskclusters"
        return f"{url}/{name}" if name else url

    def _call(self, method: str, url: str, what: str, **kw: Any) -> dict[str, Any]:
        try:
            response = self._session.request(method, url, timeout=self.timeout,
                                             verify=self._verify, **kw)
        except requests.RequestException as exc:
            raise DaskClusterError(
                f"cannot reach the Kubernetes API at {self.server} to {what} "
                f"({type(exc).__name__}); the operator must list the API server's addresses in "
                "networkPolicy.kubeApiCIDRs"
            ) from None
        if response.ok:
            return response.json()
        try:
            status = response.json()
        except ValueError:
            status = {"message": response.text[:300]}
        raise ApiRefusal(response.status_code, status.get("reason", ""),
                         status.get("message", "").strip(), what)

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create the DaskCluster ``body``."""
        return self._call("POST", self._url(), "create the Dask cluster", json=body)

    def get(self, name: str) -> dict[str, Any]:
        """The DaskCluster ``name``."""
        return self._call("GET", self._url(name), "read the Dask cluster")

    def patch_workers(self, name: str, n: int) -> dict[str, Any]:
        """Set the worker count of DaskCluster ``name`` (a merge patch of spec.worker)."""
        return self._call("PATCH", self._url(name), "scale the Dask cluster",
                          data=json.dumps({"spec": {"worker": {"replicas": n}}}),
                          headers={"Content-Type": "application/merge-patch+json"})

    def delete(self, name: str) -> None:
        """Delete DaskCluster ``name`` (and, through the operator, its pods)."""
        self._call("DELETE", self._url(name), "delete the Dask cluster",
                   params={"propagationPolicy": "Background"})


class OperatorCluster:
    """This server's Dask cluster: a DaskCluster object the Dask operator runs.

    Pass it to ``distributed.Client``. Made by :func:`deslab.dask.cluster`.

    Parameters
    ----------
    api : KubeAPI
        Client acting with the server's own token.
    spec : dict
        The DaskCluster to create (:func:`deslab.dask.kube_cluster_spec`).
    max_workers : int
        The per-server cap, for a clear error before asking the API.
    """

    def __init__(self, api: KubeAPI, spec: dict[str, Any], max_workers: int) -> None:
        self.api = api
        self.name: str = spec["metadata"]["name"]
        self.namespace: str = spec["metadata"]["namespace"]
        self.max_workers = max_workers
        self.status = Status.created
        host = f"{self.name}-scheduler.{self.namespace}.svc"
        self.scheduler_address = f"tcp://{host}:{SCHEDULER_PORT}"
        self.dashboard_link = f"http://{host}:{DASHBOARD_PORT}/status"
        try:
            api.create(spec)
        except ApiRefusal as exc:
            if exc.code != 409:
                raise
            # this server's cluster exists (one per server): use it, at the asked size
            api.patch_workers(self.name, spec["spec"]["worker"]["replicas"])
        self.status = Status.running

    def wait(self, timeout: float = 300, poll: float = 1.0) -> OperatorCluster:
        """Wait until the operator has made the scheduler and workers; return self.

        The operator's phase goes Created -> Pending (Deployments and Service made) ->
        Running (its Service watch saw the scheduler Service). The Service watch does not
        always fire for a ClusterIP Service, so Pending is enough here; ``distributed.Client``
        then waits for the scheduler to answer.
        """
        deadline = time.monotonic() + timeout
        phase = ""
        while time.monotonic() < deadline:
            phase = (self.api.get(self.name).get("status") or {}).get("phase", "")
            if phase in ("Pending", "Running"):
                return self
            time.sleep(poll)
        raise DaskClusterError(
            f"the Dask operator has not started cluster {self.name} after {timeout:.0f} s "
            f"(phase {phase or 'none'}): ask the operator whether the Dask operator runs"
        )

    def scale(self, n: int) -> None:
        """Run ``n`` workers (0 to the cap)."""
        if not 0 <= n <= self.max_workers:
            raise ConfigurationError(
                f"n={n} workers is more than this server may run; use 0 to {self.max_workers}"
            )
        self.api.patch_workers(self.name, n)

    def close(self) -> None:
        """Delete the cluster (its pods go with it); closing twice is harmless."""
        if self.status == Status.closed:
            return
        try:
            self.api.delete(self.name)
        except ApiRefusal as exc:
            if exc.code != 404:
                raise
        self.status = Status.closed

    def __enter__(self) -> OperatorCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<OperatorCluster {self.namespace}/{self.name} {self.scheduler_address}>"
