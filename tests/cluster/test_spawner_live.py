"""The hub on the live Kubernetes API: a real JupyterHub with its real KubeSpawner, configured
from the values file the chart mounts (through ``deslab_hub.kubernetes.load_config``) and
authenticated as the chart's hub ServiceAccount with the chart's Role, creates a user's claim
and pod; kwok runs the pod. The server inside can never answer here (containers do not run),
so the test checks everything up to that point on the objects read back from the API, then
stops the server.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes.client
import pytest
import requests
import yaml
from deslab_hub.kubehomes import USERNAME_LABEL, expand_user_template, username_label

from tests.chart.chart_helpers import NAMESPACE, find, manifests, with_images
from tests.cluster.live_api import LiveCluster
from tests.jobs.jobs_helpers import CHP, free_port, stop_process, wait_http

pytestmark = [pytest.mark.cluster, pytest.mark.integration, pytest.mark.slow]

USER = "jane.doe@uni.edu"

HUB_CONFIG = """
from deslab_hub.kubernetes import load_config

c = get_config()  # noqa
c.merge(load_config({values!r}, {secrets!r}))
# Only where the hub itself lives differs from the hub pod (ports, files, the proxy it
# starts); the spawner's configuration is the chart's, untouched.
c.JupyterHub.bind_url = "http://127.0.0.1:{port}/"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.JupyterHub.hub_connect_url = "http://127.0.0.1:{hub_port}"
c.JupyterHub.db_url = "sqlite:///{root}/hub.sqlite"
c.JupyterHub.cookie_secret_file = "{root}/cookie_secret"
c.JupyterHub.pid_file = "{root}/hub.pid"
c.ConfigurableHTTPProxy.should_start = True
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_port}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.ConfigurableHTTPProxy.pid_file = "{root}/proxy.pid"
for service in c.JupyterHub.services:  # the job service's Service name resolves only in a cluster
    if service["name"] == "jobs":
        service["url"] = "http://127.0.0.1:{jobs_port}"
c.JupyterHub.services.append({{"name": "test-admin", "api_token": {token!r}}})
c.JupyterHub.load_roles = list(c.JupyterHub.load_roles) + [{{
    "name": "test-admin", "scopes": ["admin:users", "admin:servers"],
    "services": ["test-admin"]}}]
c.Authenticator.allowed_users = {{{user!r}}}
"""


def chart_rbac(cluster: LiveCluster, namespace: str, docs: list[dict[str, Any]],
               suffix: str) -> str:
    """Create the chart's ServiceAccount, Role and RoleBinding ``*<suffix>`` in ``namespace``."""
    rbac = kubernetes.client.RbacAuthorizationV1Api(cluster.admin_client())
    role, binding = find(docs, "Role", suffix), find(docs, "RoleBinding", suffix)
    for doc in (role, binding):
        doc["metadata"]["namespace"] = namespace
    for subject in binding["subjects"]:
        assert subject["namespace"] == NAMESPACE
        subject["namespace"] = namespace
    rbac.create_namespaced_role(namespace, role)
    rbac.create_namespaced_role_binding(namespace, binding)
    return find(docs, "ServiceAccount", suffix)["metadata"]["name"]


@pytest.fixture
def live_hub(kube_cluster: LiveCluster, kube_namespace: str,
             tmp_path: Path) -> Iterator[dict[str, Any]]:
    docs = manifests(with_images({}))
    account = chart_rbac(kube_cluster, kube_namespace, docs, "-hub")
    hub_identity = kube_cluster.service_account(kube_namespace, account)
    values = yaml.safe_load(find(docs, "ConfigMap", "-hub-config")["data"]["values.yaml"])
    values["release"]["namespace"] = kube_namespace  # as if installed there
    (tmp_path / "values.yaml").write_text(yaml.safe_dump(values))
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    for name in ("proxy-token", "jobs-api-token", "culler-api-token"):
        (secrets_dir / name).write_text(secrets.token_hex(16))
    (secrets_dir / "cookie-secret").write_text(secrets.token_hex(32))
    token = secrets.token_hex(16)
    port, hub_port, proxy_port = free_port(), free_port(), free_port()
    (tmp_path / "jupyterhub_config.py").write_text(HUB_CONFIG.format(
        values=str(tmp_path / "values.yaml"), secrets=str(secrets_dir), port=port,
        hub_port=hub_port, proxy_port=proxy_port, jobs_port=free_port(), root=tmp_path,
        chp=CHP, token=token,
        user=USER))
    volume = kube_cluster.add_volumes(1, size="20Gi")
    env = {**os.environ, "KUBECONFIG": str(hub_identity.kubeconfig),
           "PATH": f"{Path(CHP).parent}:{os.environ['PATH']}"}
    log = open(tmp_path / "hub.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f",
                             str(tmp_path / "jupyterhub_config.py")], cwd=tmp_path, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/hub/health", timeout=240, proc=proc)
        yield {"api": f"http://127.0.0.1:{port}/hub/api", "token": token, "docs": docs,
               "log": tmp_path / "hub.log"}
    finally:
        stop_process(proc)
        log.close()
        kube_cluster.delete_volumes(volume)


def test_the_hubs_kubespawner_makes_a_hardened_pod_and_claim(
        kube_cluster: LiveCluster, kube_namespace: str, live_hub: dict[str, Any]) -> None:
    api, headers = live_hub["api"], {"Authorization": f"token {live_hub['token']}"}
    r = requests.post(f"{api}/users/{USER}", headers=headers, timeout=30)
    assert r.status_code in (201, 409), r.text
    r = requests.post(f"{api}/users/{USER}/server", headers=headers, timeout=60)
    assert r.status_code in (201, 202), r.text
    core = kubernetes.client.CoreV1Api(kube_cluster.admin_client())
    claim = expand_user_template("claim-{username}", USER)
    pvc = kube_cluster.wait_for(
        lambda: next((p for p in core.list_namespaced_persistent_volume_claim(
            kube_namespace).items if p.metadata.name == claim), None),
        f"KubeSpawner to create the claim {claim}", 120)
    assert pvc.spec.access_modes == ["ReadWriteOnce"]
    assert pvc.spec.resources.requests["storage"] == "10Gi"
    pods = kube_cluster.wait_for(lambda: core.list_namespaced_pod(
        kube_namespace, label_selector="component=singleuser-server").items,
        "KubeSpawner to create the user's pod", 120)
    pod = kube_cluster.wait_pod_phase(kube_namespace, pods[0].metadata.name, {"Running"},
                                      timeout=120)

    # every hardening the chart promises, on the pod as the API stored it
    spec, (container,) = pod.spec, pod.spec.containers
    assert pod.metadata.labels[USERNAME_LABEL] == username_label(USER)
    assert pod.metadata.labels["app.kubernetes.io/part-of"] == "deslab"
    assert spec.automount_service_account_token is False
    assert not any(v.projected for v in spec.volumes)  # no API token mounted
    assert spec.security_context.run_as_non_root is True
    assert spec.security_context.seccomp_profile.type == "RuntimeDefault"
    assert spec.security_context.fs_group == 100
    sc = container.security_context
    assert sc.allow_privilege_escalation is False and sc.capabilities.drop == ["ALL"]
    assert sc.run_as_user == 1000 and sc.run_as_non_root is True
    assert sc.seccomp_profile.type == "RuntimeDefault"
    assert container.resources.limits["memory"] and container.resources.requests["cpu"]
    home = {v.name: v for v in spec.volumes}["home"]
    assert home.persistent_volume_claim.claim_name == claim
    env = {e.name: e.value for e in container.env}
    assert env["DESLAB_JOBS_URL"].endswith("/services/jobs/")
    for name, value in env.items():
        if any(word in name for word in ("PASSWORD", "SECRET")):
            assert not value, name  # a credential is never plain env
    assert "jobs" in container.lifecycle.post_start._exec.command[-1]
    term = spec.affinity.pod_affinity.required_during_scheduling_ignored_during_execution[0]
    assert term.label_selector.match_labels == {USERNAME_LABEL: username_label(USER)}

    # a job of hers (made as the chart's job-service account) lands on her server's node
    job_node = _job_pod_node(kube_cluster, kube_namespace, live_hub["docs"])
    assert job_node == pod.spec.node_name

    r = requests.delete(f"{api}/users/{USER}/server", headers=headers, timeout=60)
    assert r.status_code in (202, 204), r.text
    kube_cluster.wait_for(lambda: not core.list_namespaced_pod(
        kube_namespace, label_selector="component=singleuser-server").items,
        "KubeSpawner to delete the pod", 120)


def _job_pod_node(cluster: LiveCluster, namespace: str, docs: list[dict[str, Any]]) -> str:
    import asyncio
    import json
    from datetime import UTC, datetime, timedelta

    from deslab_hub.jobs.ids import new_job_id
    from deslab_hub.jobs.models import JobRecord
    from deslab_hub.jobs.runners.kubernetes import KubernetesRunner
    from traitlets.config import Config

    account = chart_rbac(cluster, namespace, docs, "-jobs")
    identity = cluster.service_account(namespace, account)
    c = Config()
    runner_config = json.loads(find(docs, "ConfigMap", "-jobs-config")["data"][
        "jobs_config.json"])["KubernetesRunner"]
    for key, value in {**runner_config, "namespace": namespace,
                       "kubeconfig": str(identity.kubeconfig)}.items():
        setattr(c.KubernetesRunner, key, value)
    now = datetime.now(UTC)
    job = JobRecord(id=new_job_id(), owner=USER, type="query", name="", phase="QUEUED",
                    params={}, created=now, execution_duration=600,
                    destruction=now + timedelta(days=1), output_dir="/x")

    async def start() -> None:
        runner = KubernetesRunner(config=c)
        await runner.start(job, {"type": "query", "params": {}}, {})
        await runner.aclose()

    asyncio.run(start())
    core = kubernetes.client.CoreV1Api(cluster.admin_client())
    pod = cluster.wait_for(lambda: next(iter(core.list_namespaced_pod(
        namespace, label_selector=f"deslab.org/job-id={job.id}").items), None),
        "the job's pod", 120)
    return cluster.wait_pod_phase(namespace, pod.metadata.name, {"Running"},
                                  timeout=120).spec.node_name
