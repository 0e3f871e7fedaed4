"""The /deslab/ REST handlers in a real Jupyter server against the real demo catalog."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from tornado.httpclient import HTTPClientError

pytestmark = pytest.mark.timeout(300)  # the first test also generates the demo survey


def fetch_json(api, *parts, **kwargs):
    r = api("deslab", "api", *parts, **kwargs)
    assert r.headers["Content-Type"].startswith("application/json")
    return json.loads(r.body)


def error_of(api, *parts, **kwargs) -> tuple[int, dict]:
    with pytest.raises(HTTPClientError) as info:
        api("deslab", "api", *parts, **kwargs)
    resp = info.value.response
    assert resp.headers["Content-Type"].startswith("application/json")
    body = json.loads(resp.body)
    assert set(body) == {"message"}, body  # nothing but the message reaches the browser
    assert "Traceback" not in body["message"]
    return info.value.code, body


def post(sql: str, **extra) -> dict:
    return {"method": "POST", "body": json.dumps({"sql": sql, **extra})}


def test_quick_query_returns_rows_with_units_and_time(api):
    out = fetch_json(api, "query", **post(
        "SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G FROM DR2_MAIN WHERE ROWNUM <= 7"))
    assert [c["name"] for c in out["columns"]] == ["COADD_OBJECT_ID", "RA", "DEC", "MAG_AUTO_G"]
    assert out["row_count"] == 7 and len(out["rows"]) == 7
    assert {c["name"]: c["unit"] for c in out["columns"]}["RA"] == "deg"
    assert all(0 <= row[1] < 360 and -90 <= row[2] <= 90 for row in out["rows"])
    assert out["seconds"] >= 0 and out["truncated"] is False


def test_quick_query_caps_rows_and_says_so(api):
    out = fetch_json(api, "query", **post("SELECT RA FROM DR2_MAIN", limit=25))
    assert out["row_count"] == 25 and out["truncated"] is True and out["limit"] == 25


def test_count_matches_the_catalog(api, demo_env):
    import deslab

    n = int(deslab.query("SELECT COUNT(*) AS N FROM DR2_MAIN")["N"][0])
    out = fetch_json(api, "query", **post("SELECT COUNT(*) AS N FROM DR2_MAIN"))
    assert out["rows"] == [[n]]


def test_html_in_values_comes_back_as_plain_json_text(api):
    evil = "<img src=x onerror=alert(1)>"
    out = fetch_json(api, "query", **post(f"SELECT '{evil}' AS X FROM dual"))
    assert out["rows"] == [[evil]]


def test_non_finite_and_null_values_are_valid_json(api):
    out = fetch_json(api, "query", **post(
        "SELECT CAST('NaN' AS DOUBLE) AS A, NULL AS B FROM dual"))
    assert out["rows"] == [["NaN", None]]


@pytest.mark.parametrize("sql, status, words", [
    ("SELEC RA FROM DR2_MAIN", 400, ""),
    ("SELECT RA FROM DR2_MIAN", 400, "DR2_MAIN"),
    ("SELECT MAG_AUTO_Q FROM DR2_MAIN", 400, "MAG_AUTO_"),
    ("DELETE FROM DR2_MAIN", 403, ""),
    ("DROP TABLE DR2_MAIN", 403, ""),
])
def test_bad_sql_is_a_clear_4xx(api, sql, status, words):
    code, body = error_of(api, "query", **post(sql))
    assert code == status
    assert words in body["message"] and len(body["message"]) > 10


@pytest.mark.parametrize("body, words", [
    ("not json", "JSON"),
    ("[1, 2]", "JSON object"),
    ('{"sql": ""}', "'sql' is required"),
    ('{"sql": "SELECT 1 FROM dual", "limit": 0}', "'limit'"),
    ('{"sql": "SELECT 1 FROM dual", "limit": 100001}', "'limit'"),
    ('{"sql": "SELECT 1 FROM dual", "timeout": "x"}', "'timeout'"),
])
def test_malformed_requests_are_400(api, body, words):
    code, out = error_of(api, "query", method="POST", body=body)
    assert code == 400 and words in out["message"]


def test_schema_lists_tables_with_described_columns(api):
    out = fetch_json(api, "schema")
    tables = {t["name"].upper(): t for t in out["tables"]}
    assert {"DR2_MAIN", "DR2_TILE_INFO"} <= set(tables)
    cols = {c["name"].upper(): c for c in tables["DR2_MAIN"]["columns"]}
    assert {"RA", "DEC", "COADD_OBJECT_ID", "TILENAME", "MAG_AUTO_G"} <= set(cols)
    assert cols["RA"]["unit"] == "deg" and cols["RA"]["description"]
    assert tables["DR2_MAIN"]["rows"] > 0


def test_describe_table_and_unknown_table(api):
    out = fetch_json(api, "tables", "dr2_tile_info")
    assert out["name"].upper() == "DR2_TILE_INFO"
    assert "tilename" in {c["name"].lower() for c in out["columns"]}
    code, body = error_of(api, "tables", "DR2_MAINN")
    assert code == 400 and "DR2_MAIN" in body["message"]


def test_column_search(api):
    out = fetch_json(api, "columns", params={"pattern": "MAG_AUTO"})
    names = {c["column_name"] for c in out["columns"]}
    assert {"MAG_AUTO_G", "MAG_AUTO_R", "MAG_AUTO_I"} <= names
    assert all("MAG_AUTO" in n for n in names)


def test_footprint_has_every_tile(api, demo_env):
    import deslab

    names = {str(n).strip() for n in deslab.query("SELECT TILENAME FROM DR2_TILE_INFO")["TILENAME"]}
    out = fetch_json(api, "footprint")
    assert {t["name"] for t in out["tiles"]} == names
    t = out["tiles"][0]
    assert len(t["corners"]) == 4 and all(len(c) == 2 for c in t["corners"])
    assert any(t["crossra0"] for t in out["tiles"])  # the demo survey straddles RA = 0


def test_footprint_search_by_position_and_by_name(api):
    tiles = (fetch_json(api, "footprint"))["tiles"]
    tile = next(t for t in tiles if not t["crossra0"])
    q = f"{tile['ra']:.5f}, {tile['dec']:.5f}"
    out = fetch_json(api, "footprint", "search", params={"q": q})
    assert out["kind"] == "position" and out["tiles"][0]["name"] == tile["name"]
    out = fetch_json(api, "footprint", "search", params={"q": tile["name"].lower()})
    assert out["kind"] == "tile" and out["tiles"][0]["name"] == tile["name"]
    assert out["ra"] == pytest.approx(tile["ra"])


def test_footprint_search_sexagesimal_and_off_footprint(api):
    out = fetch_json(api, "footprint", "search", params={"q": "12:00:00 +80:00:00"})
    assert out["kind"] == "position" and out["ra"] == pytest.approx(180.0)
    assert out["tiles"] == [] and "off the footprint" in out["message"]


@pytest.mark.parametrize("q, words", [
    ("", "give a position"),
    ("400, 10", "RA"),
    ("10, -95", "Dec"),
    ("DES9999+9999", "no tile"),
    ("<script>", "neither a position"),
])
def test_footprint_search_bad_input(api, q, words):
    code, body = error_of(api, "footprint", "search", params={"q": q})
    assert code == 400 and words in body["message"]


@pytest.mark.parametrize("method, path, body", [
    ("GET", "schema", None),
    ("GET", "footprint", None),
    ("POST", "query", json.dumps({"sql": "SELECT 1 FROM dual"})),
    ("GET", "jobs", None),
    ("POST", "jobs", json.dumps({"type": "query", "sql": "SELECT 1 FROM dual"})),
    ("DELETE", "jobs/" + "a" * 32, None),
    ("GET", "events", None),
])
def test_unauthenticated_requests_are_refused(api, method, path, body):
    with pytest.raises(HTTPClientError) as info:
        api("deslab", "api", path, method=method, body=body,
                       headers={"Authorization": ""})
    assert info.value.code == 403


def test_cookie_requests_need_the_xsrf_token(jp_serverapp, http_fetch, jp_base_url):
    token = jp_serverapp.identity_provider.token
    login = http_fetch(
        f"{jp_base_url}login?token={token}", follow_redirects=False, raise_error=False)
    cookies = [c.split(";")[0] for c in login.headers.get_list("Set-Cookie")]
    assert any(c.startswith("username-") for c in cookies), "logging in set no cookie"
    page = http_fetch(f"{jp_base_url}login", raise_error=False)  # the form sets _xsrf
    cookies += [c.split(";")[0] for c in page.headers.get_list("Set-Cookie")]
    xsrf = next(c.split("=", 1)[1] for c in cookies if c.startswith("_xsrf="))
    url = f"{jp_base_url}deslab/api/query"
    body = json.dumps({"sql": "SELECT 1 AS ONE FROM dual"})
    no_xsrf = http_fetch(
        url, method="POST", body=body, raise_error=False,
        headers={"Cookie": "; ".join(c for c in cookies if not c.startswith("_xsrf="))})
    assert no_xsrf.code == 403
    ok = http_fetch(
        url, method="POST", body=body, raise_error=False,
        headers={"Cookie": "; ".join(cookies), "X-XSRFToken": xsrf})
    assert ok.code == 200 and json.loads(ok.body)["rows"] == [[1]]


def test_no_catalog_configured_is_503_with_what_to_do(api, monkeypatch):
    monkeypatch.delenv("DESLAB_CATALOG")
    code, body = error_of(api, "query", **post("SELECT 1 FROM dual"))
    assert code == 503 and "DESLAB_CATALOG" in body["message"]


def test_unknown_table_name_in_url_is_not_routed(api):
    with pytest.raises(HTTPClientError) as info:
        api("deslab", "api", "tables", quote("a/../b", safe=""))
    assert info.value.code == 404


def test_jobs_without_a_job_service_say_what_to_set(api, monkeypatch):
    monkeypatch.delenv("DESLAB_JOBS_URL", raising=False)
    code, body = error_of(api, "jobs")
    assert code == 503 and "DESLAB_JOBS_URL" in body["message"]


def test_job_service_not_answering_is_502(api, monkeypatch, unused_port):
    monkeypatch.setenv("DESLAB_JOBS_URL", f"http://127.0.0.1:{unused_port}/services/jobs/")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "secret-token-of-alice")
    code, body = error_of(api, "jobs")
    assert code == 502 and "cannot reach the job service" in body["message"]
    assert "secret-token-of-alice" not in body["message"]


@pytest.mark.parametrize("job_id", ["..%2F..%2Fetc", "A" * 32, "x" * 10000, "1%27%20OR%201%3D1"])
def test_bad_job_ids_are_404_before_reaching_the_service(api, job_id):
    code, body = error_of(api, "jobs", job_id)
    assert code == 404 and "no such job" in body["message"]


@pytest.mark.parametrize("body, words", [
    ({"type": "shell", "cmd": "rm -rf /"}, "'type' must be one of"),
    ({"sql": "SELECT 1 FROM dual"}, "'type' must be one of"),
])
def test_job_requests_of_unknown_type_are_400(api, body, words):
    code, out = error_of(api, "jobs", method="POST", body=json.dumps(body))
    assert code == 400 and words in out["message"]
