"""Values that cannot work fail at render with one message naming the value and what to set;
images, HTTPS and what NOTES.txt tells the operator."""

from __future__ import annotations

import subprocess

import helm_python as helm
import pytest

from tests.chart.chart_helpers import (
    APP_VERSION,
    CASES,
    REGISTRY,
    ROOT,
    find,
    manifests,
    render,
)

DIGEST = "sha256:" + "ab" * 32


def render_error(values: dict, **kwargs) -> str:
    with pytest.raises(helm.HelmError) as failed:
        render(values, **kwargs)
    return str(failed.value)


@pytest.mark.parametrize(("values", "names", "to_set"), [
    ({"hub": {"db": {"type": "postgresql"}}}, "hub.db.url", "set hub.db.url"),
    ({"jobs": {"db": {"type": "postgresql"}}}, "jobs.db.url", "set jobs.db.url"),
    ({"singleuser": {"storage": {"type": "shared"}}}, "singleuser.storage.sharedClaim",
     "ReadWriteMany PersistentVolumeClaim"),
    ({"proxy": {"https": {"enabled": True, "type": "manual"}}},
     "proxy.https.manual.secretName", "kubectl create secret tls"),
])
def test_values_that_cannot_work_fail_with_what_to_set(values, names, to_set):
    message = render_error(values)
    assert names in message and to_set in message


def test_dask_without_the_operators_api_fails_with_how_to_install_it():
    values = {"dask": {"enabled": True}, "networkPolicy": {"kubeApiCIDRs": ["10.0.0.1/32"]}}
    message = render_error(values, api_versions=[])
    assert "dask.enabled" in message and "kubernetes.dask.org/v1" in message
    assert "dask-kubernetes-operator" in message
    assert render(values)  # with the operator's API served, it renders


def test_an_install_without_images_fails_with_the_commands_to_build_them():
    message = render_error({}, images=False)
    assert "hub.image.repository" in message
    assert "make images REGISTRY=" in message and "PUSH=1" in message
    message = render_error({"hub": {"image": {"repository": f"{REGISTRY}/hub"}}}, images=False)
    assert "singleuser.image.repository" in message


def _containers(docs: list[dict]) -> dict[str, str]:
    images = {}
    for doc in docs:
        spec = doc.get("spec", {}).get("template", {}).get("spec") or doc.get("spec", {})
        for c in spec.get("containers", []) if isinstance(spec, dict) else []:
            images[f"{doc['kind']}/{doc['metadata']['name']}/{c['name']}"] = c["image"]
    return images


def test_image_tags_default_to_the_app_version_and_digests_pin_them():
    docs = manifests({})
    images = _containers(docs)
    assert images["Deployment/dl-deslab-hub/hub"] == f"{REGISTRY}/hub:{APP_VERSION}"
    assert images["Deployment/dl-deslab-jobs/jobs"] == f"{REGISTRY}/hub:{APP_VERSION}"
    jobs_config = find(docs, "ConfigMap", "-jobs-config")["data"]["jobs_config.json"]
    assert f'"{REGISTRY}/notebook:{APP_VERSION}"' in jobs_config
    hub_values = find(docs, "ConfigMap", "-hub-config")["data"]["values.yaml"]
    assert f"notebookImage: {REGISTRY}/notebook:{APP_VERSION}" in hub_values

    pinned = manifests({"hub": {"image": {"tag": "1.2.0-abc1234", "digest": DIGEST}},
                        "singleuser": {"image": {"digest": DIGEST}}})
    images = _containers(pinned)
    assert images["Deployment/dl-deslab-hub/hub"] == f"{REGISTRY}/hub:1.2.0-abc1234@{DIGEST}"
    hub_values = find(pinned, "ConfigMap", "-hub-config")["data"]["values.yaml"]
    assert f"notebookImage: {REGISTRY}/notebook:{APP_VERSION}@{DIGEST}" in hub_values
    with pytest.raises(helm.HelmError):  # the schema refuses a digest that is not one
        render({"hub": {"image": {"digest": "latest"}}})


def test_https_manual_serves_the_secrets_certificate_and_redirects_http():
    docs = manifests({"proxy": {"https": {"enabled": True, "type": "manual",
                                          "manual": {"secretName": "deslab-tls"}}}})
    pod = find(docs, "Deployment", "-proxy")["spec"]["template"]["spec"]
    chp = pod["containers"][0]
    assert {"--port=8443", "--ssl-cert=/etc/chp/tls/tls.crt", "--ssl-key=/etc/chp/tls/tls.key",
            "--redirect-port=8000", "--redirect-to=443"} <= set(chp["command"])
    assert pod["volumes"] == [{"name": "tls", "secret": {"secretName": "deslab-tls",
                                                         "defaultMode": 0o440}}]
    assert chp["readinessProbe"]["httpGet"]["scheme"] == "HTTPS"
    service = find(docs, "Service", "-proxy-public")
    ports = {p["name"]: (p["port"], p["targetPort"]) for p in service["spec"]["ports"]}
    assert ports == {"http": (80, "http"), "https": (443, "https")}
    policy = find(docs, "NetworkPolicy", "-proxy")
    assert {"port": 8443, "protocol": "TCP"} in policy["spec"]["ingress"][0]["ports"]
    notes = render({"proxy": {"https": {"enabled": True, "type": "manual",
                                        "manual": {"secretName": "deslab-tls"}}}})
    text = notes["deslab/templates/NOTES.txt"]
    assert 'manual: the proxy serves the certificate of Secret "deslab-tls"' in text
    assert "HTTPS is off" not in text


def test_https_offload_sends_443_to_the_plain_http_port():
    values = {"proxy": {"https": {"enabled": True, "type": "offload"}}}
    docs = manifests(values)
    chp = find(docs, "Deployment", "-proxy")["spec"]["template"]["spec"]["containers"][0]
    assert "--port=8000" in chp["command"] and not any("ssl" in a for a in chp["command"])
    service = find(docs, "Service", "-proxy-public")
    ports = {p["name"]: (p["port"], p["targetPort"]) for p in service["spec"]["ports"]}
    assert ports == {"http": (80, "http"), "https": (443, "http")}
    text = render(values)["deslab/templates/NOTES.txt"]
    assert "offload: the load balancer must terminate TLS on port 443" in text


def test_notes_warn_when_https_is_off_and_name_the_images():
    text = render({})["deslab/templates/NOTES.txt"]
    assert "WARNING: HTTPS is off" in text
    assert f"{REGISTRY}/hub:{APP_VERSION}" in text and f"{REGISTRY}/notebook:{APP_VERSION}" in text
    # an Ingress with TLS is HTTPS too
    text = render(CASES["everything"])["deslab/templates/NOTES.txt"]
    assert "at the Ingress (ingress.tls)" in text and "HTTPS is off" not in text


def test_make_images_tags_version_and_commit_and_prints_the_set_lines():
    """The build script's tags and instructions (the container build itself is
    tests/chart/test_images.py; here the engine does nothing)."""
    sha = subprocess.run(["git", "rev-parse", "--short=7", "HEAD"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    out = subprocess.run(["bash", "scripts/build-images.sh"], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=600,
                         env={"PATH": "/usr/bin:/bin", "ENGINE": "true",
                              "REGISTRY": "registry.example.org/deslab"}).stdout
    tag = f"{APP_VERSION}-{sha}"
    for key, image in (("hub", "hub"), ("singleuser", "notebook")):
        line = next(x for x in out.splitlines() if f"--set {key}.image.repository=" in x)
        assert line.strip().startswith(
            f"--set {key}.image.repository=registry.example.org/deslab/{image} "
            f"--set {key}.image.tag={tag}")
