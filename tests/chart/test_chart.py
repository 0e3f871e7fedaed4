"""The Helm chart, rendered offline with the real Helm SDK for a matrix of values.

Every rendering must lint clean, validate strictly against the Kubernetes schema, and obey
the security policy: non-root, no privilege escalation, all capabilities dropped, seccomp
RuntimeDefault, requests and limits everywhere, no credential outside a Secret, and
NetworkPolicies that keep user pods apart.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

from tests.chart.chart_helpers import (
    CASES,
    CHART,
    KUBE_VERSION,
    NAMESPACE,
    RELEASE,
    SENTINELS,
    find,
    render,
    secret_values,
)

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "Pod"}


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    if doc["kind"] == "Pod":
        return doc["spec"]
    return doc["spec"]["template"]["spec"]


def workloads(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] in WORKLOADS]


@pytest.mark.parametrize("case", sorted(CASES))
def test_lint_clean(case: str) -> None:
    report = helm.lint(CHART, CASES[case], strict=True, namespace=NAMESPACE)
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_lint_reports_bad_values() -> None:
    report = helm.lint(CHART, {"hub": {"replicas": 3}}, strict=True)
    assert report["errors"] or any(m["severity"] >= 2 for m in report["messages"])


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_manifest_valid_strict(case: str, rendered: dict) -> None:
    docs = rendered[case]
    assert {"Deployment", "Service", "ConfigMap", "Secret", "NetworkPolicy"} <= {
        d["kind"] for d in docs
    }
    for doc in docs:
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)


def test_strict_validation_catches_a_bad_manifest(rendered: dict) -> None:
    hub = json.loads(json.dumps(find(rendered["defaults"], "Deployment", "-hub")))
    hub["spec"]["template"]["spec"]["containers"][0]["resourcez"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(hub, KUBE_VERSION, strict=True)


@pytest.mark.parametrize("case", sorted(CASES))
def test_security_policy(case: str, rendered: dict) -> None:
    docs = rendered[case]
    assert workloads(docs)
    for doc in workloads(docs):
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        spec = pod_spec(doc)
        psc = spec.get("securityContext") or {}
        assert psc.get("runAsNonRoot") is True, name
        assert psc.get("runAsUser", 0) > 0, name
        assert psc.get("seccompProfile") == {"type": "RuntimeDefault"}, name
        assert "automountServiceAccountToken" in spec, name
        for c in spec.get("initContainers", []) + spec["containers"]:
            csc = c.get("securityContext") or {}
            assert csc.get("allowPrivilegeEscalation") is False, (name, c["name"])
            assert csc.get("capabilities", {}).get("drop") == ["ALL"], (name, c["name"])
            assert not csc.get("capabilities", {}).get("add"), (name, c["name"])
            assert csc.get("privileged") is not True, (name, c["name"])
            assert csc.get("runAsNonRoot") is True, (name, c["name"])
            assert csc.get("seccompProfile") == {"type": "RuntimeDefault"}, (name, c["name"])
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(res.get(part) or {}), (name, c["name"], part)
        # only the hub (KubeSpawner) and the job service (batch Jobs) talk to the API
        component = doc["metadata"]["labels"].get("app.kubernetes.io/component")
        if spec["automountServiceAccountToken"]:
            assert component in ("hub", "jobs"), name


@pytest.mark.parametrize("case", sorted(CASES))
def test_no_credential_outside_secrets(case: str, rendered: dict) -> None:
    docs = rendered[case]
    values = CASES[case]
    given = [v for v in SENTINELS.values() if v in json.dumps(values)]
    for doc in docs:
        if doc["kind"] == "Secret":
            continue
        text = json.dumps(doc)
        for secret in given:
            assert secret not in text, f"{doc['kind']}/{doc['metadata']['name']}"
        for b64 in (base64.b64encode(s.encode()).decode() for s in given):
            assert b64 not in text
    for doc in workloads(docs):
        for c in pod_spec(doc)["containers"]:
            for env in c.get("env", []):
                if re.search(r"PASSWORD$|SECRET$|TOKEN$", env["name"]):
                    assert "value" not in env, (doc["metadata"]["name"], env["name"])
    # what was given reaches a Secret
    in_secrets = "".join(json.dumps(secret_values(d)) for d in docs if d["kind"] == "Secret")
    for secret in given:
        if secret == SENTINELS["client_id"]:
            continue
        assert secret in in_secrets


def test_generated_secrets_and_existing_secret_option() -> None:
    docs = [d for d in yaml.safe_load_all(render({})["deslab/templates/secrets.yaml"]) if d]
    hub = secret_values(find(docs, "Secret", "-hub-secret"))
    assert set(hub) == {"cookie-secret", "proxy-token", "jobs-api-token", "culler-api-token"}
    assert re.fullmatch(r"[0-9a-f]{64}", hub["cookie-secret"])
    assert len(set(hub.values())) == 4
    # reuse across upgrades: tests/chart/test_secret_upgrade.py

    out = render({"hub": {"existingSecret": "my-hub-secrets"}})
    docs = [d for t, s in out.items() if t.endswith(".yaml") for d in yaml.safe_load_all(s) if d]
    assert not [d for d in docs if d["kind"] == "Secret" and "hub-secret" in d["metadata"]["name"]]
    hub_dep = find(docs, "Deployment", "-hub")
    vols = {v["name"]: v for v in pod_spec(hub_dep)["volumes"]}
    assert vols["secret"]["secret"]["secretName"] == "my-hub-secrets"


def test_catalog_password_from_existing_secret_as_file(rendered: dict) -> None:
    docs = rendered["openstack"]
    assert not [d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"].endswith(
        "-catalog")]
    cfg = json.loads(find(docs, "ConfigMap", "-jobs-config")["data"]["jobs_config.json"])
    runner = cfg["KubernetesRunner"]
    assert runner["catalog_secret_name"] == "des-oracle"
    assert runner["catalog_secret_key"] == "pw"
    assert runner["environment"]["DESLAB_CATALOG"] == (
        "oracle://des_reader@desoracle.example.org:1521/dessci")


@pytest.mark.parametrize("case", sorted(CASES))
def test_network_policies(case: str, rendered: dict) -> None:
    docs = rendered[case]
    values = CASES[case]
    pols = {d["metadata"]["name"].removeprefix(f"{RELEASE}-deslab-"): d["spec"]
            for d in docs if d["kind"] == "NetworkPolicy"}
    assert {"hub", "proxy", "jobs", "singleuser", "job-workers"} <= set(pols)
    user = pols["singleuser"]
    assert user["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/component": "singleuser-server", "deslab.org/release": RELEASE}
    # ingress to user servers: only the proxy and the hub, on the server port
    sources = [p["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
               for rule in user["ingress"] for p in rule["from"]]
    assert sorted(sources) == ["hub", "proxy"]
    # user servers never reach each other, the proxy API or the metadata address
    for rule in user["egress"]:
        for peer in rule.get("to", []):
            labels = (peer.get("podSelector") or {}).get("matchLabels") or {}
            assert labels.get("app.kubernetes.io/component") not in ("singleuser-server",
                                                                      "proxy")
    for name, pol in pols.items():
        for rule in pol.get("egress", []):
            for peer in rule.get("to", []):
                block = peer.get("ipBlock")
                if block and block["cidr"] == "0.0.0.0/0":
                    assert "169.254.169.254/32" in block.get("except", []), name
    egress_ports = {p["port"] for r in user["egress"] for p in r.get("ports", [])}
    assert {8081, 8090, 53} <= egress_ports
    oracle = (values.get("catalog") or {}).get("oracle")
    assert (1521 in egress_ports) == bool(oracle)
    dask = bool((values.get("dask") or {}).get("enabled"))
    assert ("dask" in pols) == dask
    to_dask = [p for r in user["egress"] for p in r.get("to", [])
               if (p.get("podSelector") or {}).get("matchLabels", {}).get(
                   "app.kubernetes.io/component") == "dask"]
    assert bool(to_dask) == dask
    if oracle and oracle.get("cidrs"):
        catalog_rules = [r for r in user["egress"] if {p["port"] for p in r.get("ports", [])}
                         == {1521}]
        assert catalog_rules[0]["to"] == [{"ipBlock": {"cidr": c}} for c in oracle["cidrs"]]
    # the proxy's API port only from the hub
    api = [r for r in pols["proxy"]["ingress"] if r["ports"][0]["port"] == 8001][0]
    assert [p["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
            for p in api["from"]] == ["hub"]


def test_openstack_storage_and_load_balancer(rendered: dict) -> None:
    docs = rendered["openstack"]
    svc = find(docs, "Service", "-proxy-public")
    assert svc["spec"]["type"] == "LoadBalancer"
    assert svc["spec"]["loadBalancerIP"] == "203.0.113.50"
    assert svc["metadata"]["annotations"]["loadbalancer.openstack.org/keep-floatingip"] == "true"
    for pvc in (d for d in docs if d["kind"] == "PersistentVolumeClaim"):
        assert pvc["spec"]["storageClassName"] == "csi-cinder-sc-retain"
    hub_values = yaml.safe_load(find(docs, "ConfigMap", "-hub-config")["data"]["values.yaml"])
    assert hub_values["singleuser"]["storage"]["storageClassName"] == "csi-cinder-sc-delete"


def test_ingress_with_tls(rendered: dict) -> None:
    ing = find(rendered["everything"], "Ingress", "deslab")
    assert ing["spec"]["tls"] == [{"secretName": "deslab-tls", "hosts": ["deslab.example.org"]}]
    rule = ing["spec"]["rules"][0]
    assert rule["host"] == "deslab.example.org"
    assert rule["http"]["paths"][0]["path"] == "/des/"


def test_helm_test_hook(rendered: dict) -> None:
    pod = find(rendered["defaults"], "Pod", "-test-hub")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    script = pod["spec"]["containers"][0]["command"][-1]
    assert f'base = "http://{RELEASE}-deslab-hub:8081"' in script
    assert 'urlopen(base + "/hub/api/"' in script
    compile(script, "helm-test", "exec")


def test_notes_tell_what_to_do_next() -> None:
    notes = render({})["deslab/templates/NOTES.txt"]
    assert "helm test dl" in notes
    assert "nobody is allowed to log in" in notes
    notes = render(CASES["openstack"])["deslab/templates/NOTES.txt"]
    assert "oracle://des_reader@desoracle.example.org:1521/dessci" in notes
    assert "nobody is allowed" not in notes


@pytest.mark.parametrize("bad", [
    {"hubb": {}},
    {"hub": {"imagee": {}}},
    {"singleuser": {"profiles": [{"slug": "x", "displayName": "X", "cpu": {"guarantee": 1,
                                  "limit": 1}, "memory": {"guarantee": "1G", "limit": "1G"},
                                  "gpus": 1}]}},
    {"auth": {"type": "pam"}},
    {"singleuser": {"storage": {"type": "nfs"}}},
    {"catalog": {"oracle": {"port": "1521"}}},
    {"networkPolicy": {"enabled": "yes"}},
])
def test_schema_rejects_unknown_and_wrong_values(bad: dict) -> None:
    with helm.Chart.load(CHART) as chart:
        with pytest.raises(helm.HelmValuesError):
            chart.validate_schema(chart.merge_values(bad))


def test_schema_documents_every_value() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())

    def walk(node: dict, value: Any, path: str) -> None:
        assert node.get("description"), path
        if node.get("type") == "object" and "properties" in node:
            assert node.get("additionalProperties") is False, path
            for key, sub in node["properties"].items():
                walk(sub, (value or {}).get(key) if isinstance(value, dict) else None,
                     f"{path}.{key}")
            if isinstance(value, dict):
                assert set(value) <= set(node["properties"]), path
        items = node.get("items")
        if isinstance(items, dict) and "properties" in items:
            for i, item in enumerate(value or [{}]):
                walk(items, item, f"{path}[{i}]")

    walk(schema, defaults, "$")
