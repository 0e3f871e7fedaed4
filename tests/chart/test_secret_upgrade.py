"""Generated secrets stay the same across `helm upgrade` (the chart's ``lookup``).

The chart is rendered cluster-aware with the Helm SDK against a minimal Kubernetes API
served on 127.0.0.1 by the test: it answers discovery and GETs of the Secrets it holds, like
a cluster where the release is installed. Nothing else is contacted.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import helm_python as helm
import pytest
import yaml

from tests.chart.chart_helpers import CHART, NAMESPACE, RELEASE, find

SECRET_NAME = f"{RELEASE}-deslab-hub-secret"


class FakeKubeAPI:
    """Discovery plus ``GET /api/v1/namespaces/<ns>/secrets/<name>`` from a dict."""

    def __init__(self) -> None:
        self.secrets: dict[str, dict] = {}
        self.requests: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def reply(self, code: int, obj: dict) -> None:
                body = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                api.requests.append(path)
                prefix = f"/api/v1/namespaces/{NAMESPACE}/secrets/"
                if path == "/api":
                    return self.reply(200, {"kind": "APIVersions", "versions": ["v1"]})
                if path == "/apis":
                    return self.reply(200, {"kind": "APIGroupList", "apiVersion": "v1",
                                            "groups": []})
                if path == "/api/v1":
                    return self.reply(200, {
                        "kind": "APIResourceList", "groupVersion": "v1",
                        "resources": [{"name": "secrets", "singularName": "secret",
                                       "namespaced": True, "kind": "Secret",
                                       "verbs": ["get", "list"]}]})
                if path.startswith(prefix) and path[len(prefix):] in api.secrets:
                    return self.reply(200, api.secrets[path[len(prefix):]])
                return self.reply(404, {"kind": "Status", "apiVersion": "v1",
                                        "status": "Failure", "reason": "NotFound",
                                        "code": 404})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def kubeconfig(self) -> str:
        port = self.server.server_address[1]
        return yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "u",
                                                      "namespace": NAMESPACE}}],
            "users": [{"name": "u", "user": {"token": "test"}}],
        })

    def render_hub_secret(self, *, upgrade: bool) -> dict:
        with helm.Config(kubeconfig_content=self.kubeconfig, namespace=NAMESPACE,
                         storage_driver="memory") as cfg, helm.Chart.load(CHART) as chart:
            out = cfg.render(chart, {}, name=RELEASE, namespace=NAMESPACE,
                             is_install=not upgrade, is_upgrade=upgrade)
        docs = [d for d in yaml.safe_load_all(out["deslab/templates/secrets.yaml"]) if d]
        return find(docs, "Secret", "-hub-secret")


@pytest.fixture
def kube_api() -> Iterator[FakeKubeAPI]:
    api = FakeKubeAPI()
    api.thread.start()
    yield api
    api.server.shutdown()
    api.server.server_close()
    api.thread.join(timeout=5)


def test_generated_secrets_survive_upgrades(kube_api: FakeKubeAPI) -> None:
    installed = kube_api.render_hub_secret(upgrade=False)
    assert f"/api/v1/namespaces/{NAMESPACE}/secrets/{SECRET_NAME}" in kube_api.requests
    # a fresh install generates new values each time
    assert kube_api.render_hub_secret(upgrade=False)["data"] != installed["data"]

    kube_api.secrets[SECRET_NAME] = installed  # what `helm install` created
    for _ in range(2):
        upgraded = kube_api.render_hub_secret(upgrade=True)
        assert upgraded["data"] == installed["data"]


def test_a_missing_key_is_added_and_the_others_kept(kube_api: FakeKubeAPI) -> None:
    old = kube_api.render_hub_secret(upgrade=False)
    partial = json.loads(json.dumps(old))
    del partial["data"]["culler-api-token"]  # e.g. made by an older chart version
    kube_api.secrets[SECRET_NAME] = partial
    upgraded = kube_api.render_hub_secret(upgrade=True)["data"]
    for key in ("cookie-secret", "proxy-token", "jobs-api-token"):
        assert upgraded[key] == old["data"][key]
    assert upgraded["culler-api-token"] and upgraded["culler-api-token"] != (
        old["data"]["culler-api-token"])
