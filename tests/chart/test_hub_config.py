"""The hub configuration the chart renders, loaded by a real JupyterHub.

The hub ConfigMap's values and the hub Secret are written where the hub pod mounts them
(temporary directories here), the hub image's ``jupyterhub_config.py`` is loaded by
``jupyterhub.app.JupyterHub``, and the authenticator and the KubeSpawner it configures are
instantiated: the spawner's ``get_pod_manifest()`` must give a valid user pod with the right
volumes, profile resources and catalog settings, whose labels the chart's NetworkPolicy
selects. Nothing contacts a cluster (a kubeconfig pointing nowhere satisfies KubeSpawner).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.chart.chart_helpers import (
    CASES,
    KUBE_VERSION,
    NAMESPACE,
    NOTEBOOK_IMAGE,
    RELEASE,
    ROOT,
    SENTINELS,
    find,
    secret_values,
)

HUB_CONFIG = ROOT / "images" / "hub" / "jupyterhub_config.py"

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- name: offline
  cluster: {server: "https://127.0.0.1:9"}
contexts:
- name: offline
  context: {cluster: offline, user: nobody, namespace: sci}
current-context: offline
users:
- name: nobody
  user: {token: not-a-token}
"""


class FakeUser:
    """The bits of a hub ``User`` the spawner reads before start."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.id = 7
        self.url = f"/user/{name}/"
        self.escaped_name = name


def hub_app(rendered_docs: list[dict[str, Any]], tmp_path: Path, monkeypatch) -> Any:
    """A JupyterHub app with the chart's config loaded the way the hub pod loads it."""
    from jupyterhub.app import JupyterHub

    cm = find(rendered_docs, "ConfigMap", "-hub-config")
    (tmp_path / "values.yaml").write_text(cm["data"]["values.yaml"])
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for key, value in secret_values(find(rendered_docs, "Secret", "-hub-secret")).items():
        (secrets / key).write_text(value)
    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    # the client library reads $KUBECONFIG when first imported, maybe by another test
    import kubernetes_asyncio.config.kube_config as kube_config

    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(tmp_path / "kubeconfig"))
    monkeypatch.setenv("DESLAB_VALUES_FILE", str(tmp_path / "values.yaml"))
    monkeypatch.setenv("DESLAB_SECRETS_DIR", str(secrets))
    # the hub Deployment sets these from the OAuth Secret
    monkeypatch.setenv("OAUTH_CLIENT_ID", "client-id-from-secret")
    monkeypatch.setenv("OAUTH_CLIENT_SECRET", "client-secret-from-secret")
    app = JupyterHub()
    app.load_config_file(str(HUB_CONFIG))
    return app


async def user_pod(app: Any, name: str = "alice", profile: str | None = None) -> dict:
    from kubernetes_asyncio.client import ApiClient
    from kubespawner import KubeSpawner

    spawner = KubeSpawner(parent=app, config=app.config, user=FakeUser(name), _mock=True)
    spawner.user_options = {"profile": profile} if profile else {}
    await spawner.load_user_options()
    manifest = await spawner.get_pod_manifest()
    async with ApiClient() as api:
        pod = api.sanitize_for_serialization(manifest)
    pod.setdefault("apiVersion", "v1")
    pod.setdefault("kind", "Pod")
    kubernetes_validate.validate(pod, KUBE_VERSION, strict=True)
    return pod


def env_of(pod: dict) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in pod["spec"]["containers"][0]
            ["env"]}


def auth_model(name: str) -> dict[str, Any]:
    """What oauthenticator hands ``check_allowed`` after a login (no groups, no admin)."""
    user = {"preferred_username": name, "groups": [], "eppn": f"{name}@illinois.edu",
            "idp": "https://idp.ncsa.illinois.edu/idp/shibboleth"}
    return {"name": name, "admin": False, "groups": [],
            "auth_state": {"oauth_user": user, "cilogon_user": user, "scope": []}}


def matches(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector["matchLabels"].items())


@pytest.mark.parametrize("case", ["defaults", "everything", "openstack", "postgresql",
                                  "cilogon", "github"])
async def test_hub_loads_chart_config_and_spawns_valid_pod(
    case: str, rendered: dict, tmp_path: Path, monkeypatch
) -> None:
    docs = rendered[case]
    values = CASES[case]
    app = hub_app(docs, tmp_path, monkeypatch)
    cfg = app.config

    # the proxy is its own Deployment; the hub listens where its Service points
    assert cfg.ConfigurableHTTPProxy.should_start is False
    assert cfg.ConfigurableHTTPProxy.api_url == f"http://{RELEASE}-deslab-proxy-api:8001"
    hub_svc = find(docs, "Service", "-hub")
    assert cfg.JupyterHub.hub_connect_url == (
        f"http://{hub_svc['metadata']['name']}:{hub_svc['spec']['ports'][0]['port']}")
    hub_secret = secret_values(find(docs, "Secret", "-hub-secret"))
    assert cfg.JupyterHub.cookie_secret == bytes.fromhex(hub_secret["cookie-secret"])
    assert cfg.ConfigurableHTTPProxy.auth_token == hub_secret["proxy-token"]
    db_type = values.get("hub", {}).get("db", {}).get("type", "sqlite-pvc")
    assert cfg.JupyterHub.db_url.startswith("postgresql" if db_type == "postgresql" else
                                            "sqlite:////srv/jupyterhub/")

    # the job service is external: URL of its Service, the token from the hub Secret
    services = {s["name"]: s for s in cfg.JupyterHub.services}
    jobs_svc = find(docs, "Service", "-jobs")
    assert services["jobs"]["url"] == (
        f"http://{jobs_svc['metadata']['name']}:{jobs_svc['spec']['ports'][0]['port']}")
    assert "command" not in services["jobs"]
    assert services["jobs"]["api_token"] == hub_secret["jobs-api-token"]
    jobs_dep = find(docs, "Deployment", "-jobs")
    jobs_env = {e["name"]: e for e in jobs_dep["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert jobs_env["JUPYTERHUB_API_TOKEN"]["valueFrom"]["secretKeyRef"]["key"] == (
        "jobs-api-token")
    assert "idle-culler" in services
    assert services["idle-culler"]["api_token"] == hub_secret["culler-api-token"]

    # authentication: the configured provider, and nobody allowed unless configured
    kind = values.get("auth", {}).get("type", "generic")
    auth = app.authenticator_class(parent=app)
    assert type(auth).__name__ == {"generic": "GenericOAuthenticator",
                                   "cilogon": "CILogonOAuthenticator",
                                   "github": "GitHubOAuthenticator"}[kind]
    assert auth.client_id == "client-id-from-secret"
    assert auth.allow_all is False
    if kind == "github":
        # membership is asked of GitHub at login; only the configuration can be checked here
        assert auth.allowed_organizations == {"des-collaboration"}
    else:
        assert await auth.check_allowed("mallory", auth_model("mallory")) is False
    for user in values.get("auth", {}).get("allowedUsers", []):
        assert await auth.check_allowed(user, auth_model(user)) is True
    if kind == "cilogon":
        assert set(auth.idps) == {"https://idp.ncsa.illinois.edu/idp/shibboleth"}

    # the user pod
    pod = await user_pod(app)
    spec = pod["spec"]
    container = spec["containers"][0]
    env = env_of(pod)
    assert env["DESLAB_JOBS_URL"] == (
        f"http://{jobs_svc['metadata']['name']}:{jobs_svc['spec']['ports'][0]['port']}"
        f"{values.get('hub', {}).get('baseUrl', '/')}services/jobs/")
    assert env["DESLAB_HOME"] == "/home/jovyan"
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    text = json.dumps(pod)
    for secret in SENTINELS.values():
        assert secret not in text
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert mounts["home"]["mountPath"] == "/home/jovyan"
    storage = values.get("singleuser", {}).get("storage", {}).get("type", "dynamic")
    if storage == "dynamic":
        assert volumes["home"]["persistentVolumeClaim"]["claimName"] == "claim-alice"
    else:
        assert volumes["home"]["persistentVolumeClaim"]["claimName"] == "deslab-homes"
        assert mounts["home"]["subPath"] == "alice"
    hook = container["lifecycle"]["postStart"]["exec"]["command"]
    assert hook[:2] == ["sh", "-c"] and 'mkdir -p "/home/jovyan/jobs"' in hook[2]

    oracle = values.get("catalog", {}).get("oracle")
    if oracle:
        assert env["DESLAB_CATALOG"] == "oracle://des_reader@desoracle.example.org:1521/dessci"
        assert env["DESLAB_CATALOG_PASSWORD_FILE"] == "/etc/deslab/catalog/password"
        assert mounts["catalog-secret"]["mountPath"] == "/etc/deslab/catalog"
        assert mounts["catalog-secret"]["readOnly"] is True
        secret = volumes["catalog-secret"]["secret"]
        expected = oracle.get("existingSecret") or f"{RELEASE}-deslab-catalog"
        assert secret["secretName"] == expected
        assert secret["items"] == [{"key": oracle.get("existingSecretKey", "password"),
                                    "path": "password"}]
        # the Secret the pod mounts exists in the release (or is the operator's own)
        if not oracle.get("existingSecret"):
            assert secret_values(find(docs, "Secret", "-catalog"))["password"] == (
                SENTINELS["catalog"])
    else:
        assert "DESLAB_CATALOG" not in env and "catalog-secret" not in volumes

    # Kubernetes API token only with Dask, and then the chart's service account
    dask = values.get("dask", {}).get("enabled", False)
    assert spec["automountServiceAccountToken"] is dask
    if dask:
        sa = find(docs, "ServiceAccount", "-singleuser")
        assert spec["serviceAccountName"] == sa["metadata"]["name"]
        assert env["DESLAB_DASK_MODE"] == "kubernetes"
        assert env["DESLAB_DASK_MAX_WORKERS"] == "16"
        assert env["DESLAB_DASK_WORKER_MEMORY"] == "8Gi"
        assert env["DESLAB_DASK_IMAGE"] == NOTEBOOK_IMAGE
        assert env["DESLAB_DASK_NAMESPACE"] == NAMESPACE
    else:
        assert not spec.get("serviceAccountName")
        assert env["DESLAB_DASK_MODE"] == "local"

    # the chart's NetworkPolicy for user servers selects this pod
    pol = find(docs, "NetworkPolicy", "-singleuser")
    assert matches(pol["spec"]["podSelector"], pod["metadata"]["labels"])
    hub_pol = find(docs, "NetworkPolicy", "-hub")
    assert any(matches(p["podSelector"], pod["metadata"]["labels"])
               for r in hub_pol["spec"]["ingress"] for p in r["from"])


async def test_profiles_set_resources_and_gpus(rendered: dict, tmp_path: Path,
                                               monkeypatch) -> None:
    app = hub_app(rendered["everything"], tmp_path, monkeypatch)
    default = await user_pod(app)
    res = default["spec"]["containers"][0]["resources"]
    assert res["limits"]["cpu"] == 1.0 and res["requests"]["cpu"] == 0.5
    assert res["limits"]["memory"] == 4 * 1024**3

    medium = (await user_pod(app, profile="medium"))["spec"]["containers"][0]["resources"]
    assert medium["limits"]["cpu"] == 2.0
    assert medium["limits"]["memory"] == 8 * 1024**3

    gpu_pod = await user_pod(app, profile="gpu")
    gpu = gpu_pod["spec"]["containers"][0]["resources"]
    assert gpu["limits"]["nvidia.com/gpu"] == "1"
    assert gpu["requests"]["nvidia.com/gpu"] == "1"
    assert gpu_pod["spec"]["nodeSelector"]["node.kubernetes.io/instance-type"] == "gpu"
    assert any(t["key"] == "nvidia.com/gpu" for t in gpu_pod["spec"]["tolerations"])

    env = env_of(default)
    assert env["DESLAB_TILES"] == "/srv/deslab/data/tiles"
    assert env["DESLAB_EXTRA"] == "1"
    mounts = {m["name"]: m for m in default["spec"]["containers"][0]["volumeMounts"]}
    assert mounts["survey-data"]["readOnly"] is True
    assert mounts["survey-data"]["mountPath"] == "/srv/deslab/data"

    # extraConfig ran after DESlab's own configuration
    assert app.config.JupyterHub.shutdown_on_logout is True
    # the culler's max age
    culler = {s["name"]: s for s in app.config.JupyterHub.services}["idle-culler"]
    assert "--max-age=86400" in culler["command"]
    assert "--timeout=7200" in culler["command"]


async def test_unknown_profile_is_refused(rendered: dict, tmp_path: Path, monkeypatch) -> None:
    app = hub_app(rendered["defaults"], tmp_path, monkeypatch)
    with pytest.raises(ValueError, match="nope"):
        await user_pod(app, profile="nope")


def test_chart_values_errors_name_the_value(rendered: dict) -> None:
    from deslab_hub.kubernetes import ChartValuesError, configure_kubernetes, read_values
    from traitlets.config import Config

    values = yaml.safe_load(find(rendered["defaults"], "ConfigMap", "-hub-config")["data"]
                            ["values.yaml"])
    values["singleuser"]["storage"] = {"type": "shared", "sharedClaim": ""}
    with pytest.raises(ChartValuesError, match="sharedClaim"):
        configure_kubernetes(Config(), values, {})
    values["singleuser"]["storage"] = {"type": "dynamic"}
    values["auth"]["type"] = "pam"
    with pytest.raises(ChartValuesError, match="generic, cilogon, github"):
        configure_kubernetes(Config(), values, {})
    with pytest.raises(ChartValuesError, match="DESLAB_VALUES_FILE"):
        read_values("/nonexistent/values.yaml")


def test_hub_pod_mounts_what_the_hub_config_reads(rendered: dict) -> None:
    from deslab_hub.kubernetes import DEFAULT_SECRETS_DIR, DEFAULT_VALUES_FILE, HUB_DATA_DIR

    dep = find(rendered["defaults"], "Deployment", "-hub")
    spec = dep["spec"]["template"]["spec"]
    hub = spec["containers"][0]
    env = {e["name"]: e.get("value") for e in hub["env"]}
    mounts = {m["name"]: m["mountPath"] for m in hub["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert env["DESLAB_VALUES_FILE"] == DEFAULT_VALUES_FILE
    assert Path(DEFAULT_VALUES_FILE).parent == Path(mounts["config"])
    cm = find(rendered["defaults"], "ConfigMap", "-hub-config")
    assert volumes["config"]["configMap"]["name"] == cm["metadata"]["name"]
    assert Path(DEFAULT_VALUES_FILE).name in cm["data"]
    assert env["DESLAB_SECRETS_DIR"] == DEFAULT_SECRETS_DIR == mounts["secret"]
    assert mounts["data"] == HUB_DATA_DIR
    assert hub["args"] == ["jupyterhub", "--config=/usr/local/etc/jupyterhub/jupyterhub_config.py"]
    assert "COPY jupyterhub_config.py /usr/local/etc/jupyterhub/jupyterhub_config.py" in (
        ROOT / "images" / "hub" / "Containerfile").read_text()
