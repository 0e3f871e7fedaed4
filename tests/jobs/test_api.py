"""The job API through a real JupyterHub: life cycle of a query job, results, isolation."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import requests
from astropy.table import Table

from tests.jobs.jobs_helpers import SLOW_SQL, Client, Hub

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def alice(hub: Hub) -> Client:
    return hub.client("alice")


@pytest.fixture(scope="module")
def bob(hub: Hub) -> Client:
    return hub.client("bob")


@pytest.fixture(scope="module")
def done_job(alice: Client) -> dict:
    job = alice.submit(sql="SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G FROM DR2_MAIN "
                           "WHERE RA BETWEEN :lo AND :hi", binds={"lo": 0, "hi": 360},
                       output="stars.fits", name="all stars")
    return alice.wait(job["id"])


def test_health_needs_no_token(hub: Hub) -> None:
    r = requests.get(f"{hub.url}/services/jobs/api/health", timeout=10)
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_query_job_completes_with_a_fits_file_in_the_owners_home(
    hub: Hub, alice: Client, done_job: dict
) -> None:
    assert done_job["phase"] == "COMPLETED", done_job
    assert done_job["name"] == "all stars"
    assert done_job["summary"]["rows"] == 100_000
    assert [r["name"] for r in done_job["results"]] == ["stars.fits"]
    assert done_job["started"] and done_job["ended"] and done_job["duration"] > 0
    on_disk = hub.root / "data" / "users" / "alice" / "jobs" / done_job["id"] / "stars.fits"
    assert on_disk.is_file()
    table = Table.read(on_disk)
    assert len(table) == 100_000 and "RA" in table.colnames
    r = alice.get(f"/jobs/{done_job['id']}/results/stars.fits")
    assert r.status_code == 200
    assert r.content == on_disk.read_bytes()
    assert len(Table.read(io.BytesIO(r.content), format="fits")) == 100_000


def test_list_filters_and_pages(alice: Client, done_job: dict) -> None:
    r = alice.get("/jobs", params={"phase": "COMPLETED", "type": "query", "limit": 1})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] >= 1 and len(body["jobs"]) == 1
    assert all(j["owner"] == "alice" for j in body["jobs"])
    r = alice.get("/jobs", params={"phase": "EXECUTING,QUEUED"})
    assert done_job["id"] not in [j["id"] for j in r.json()["jobs"]]
    r = alice.get("/jobs", params={"phase": "RUNNING"})
    assert r.status_code == 400 and "EXECUTING" in r.json()["error"]


def test_other_users_jobs_answer_404_on_every_endpoint(
    alice: Client, bob: Client, done_job: dict
) -> None:
    jid = done_job["id"]
    mine = alice.get(f"/jobs/{jid}")
    assert mine.status_code == 200
    calls = [
        bob.get(f"/jobs/{jid}"),
        bob.patch(f"/jobs/{jid}", json={"name": "mine now"}),
        bob.post(f"/jobs/{jid}/cancel"),
        bob.get(f"/jobs/{jid}/results"),
        bob.get(f"/jobs/{jid}/results/stars.fits"),
        bob.delete(f"/jobs/{jid}"),
    ]
    for r in calls:
        assert r.status_code == 404, (r.request.method, r.url, r.text)
        assert "stars" not in r.text and "alice" not in r.text
    assert jid not in [j["id"] for j in bob.get("/jobs").json()["jobs"]]
    assert bob.get("/jobs", params={"owner": "alice"}).status_code == 403
    after = alice.get(f"/jobs/{jid}").json()
    assert after["name"] == "all stars" and after["phase"] == "COMPLETED"


def test_admin_sees_every_job(hub: Hub, done_job: dict) -> None:
    admin = hub.client("root-admin")  # an admin in the hub configuration
    assert admin.get(f"/jobs/{done_job['id']}").json()["owner"] == "alice"
    listed = admin.get("/jobs", params={"owner": "*"}).json()["jobs"]
    assert done_job["id"] in [j["id"] for j in listed]


def test_tokens_without_the_service_scope_are_refused(hub: Hub) -> None:
    no_token = Client(f"{hub.url}/services/jobs/api", None)
    r = no_token.get("/jobs")
    assert r.status_code == 401 and "token" in r.json()["error"]
    assert Client(no_token.base, "not-a-token").get("/jobs").status_code == 401
    narrow = hub.user("carol", scopes=["read:users:name!user"])
    r = Client(no_token.base, narrow).get("/jobs")
    assert r.status_code == 403 and "access:services!service=jobs" in r.json()["error"]


def test_rename_and_renew_within_the_maximum(alice: Client, done_job: dict) -> None:
    jid = done_job["id"]
    r = alice.patch(f"/jobs/{jid}", json={"name": "renamed <b>x</b>", "lifetime_days": 30})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "renamed <b>x</b>"
    assert r.json()["destruction"] > done_job["destruction"]
    r = alice.patch(f"/jobs/{jid}", json={"lifetime_days": 1000})
    assert r.status_code == 400 and "max_lifetime_days" in r.json()["error"]
    r = alice.patch(f"/jobs/{jid}", json={"destruction": "2001-01-01T00:00:00Z"})
    assert r.status_code == 400 and "future" in r.json()["error"]
    r = alice.patch(f"/jobs/{jid}", json={"phase": "COMPLETED"})
    assert r.status_code == 400 and "name, destruction, lifetime_days" in r.json()["error"]


def test_cancel_stops_the_statement_and_removes_partial_files(hub: Hub, alice: Client) -> None:
    job = alice.submit(sql=SLOW_SQL, output="slow.csv")
    alice.wait(job["id"], phases=("EXECUTING",), timeout=30)
    import time

    time.sleep(1.5)  # the worker is inside the DuckDB statement
    t0 = time.monotonic()
    r = alice.post(f"/jobs/{job['id']}/cancel")
    assert r.status_code == 202
    done = alice.wait(job["id"], timeout=20)
    elapsed = time.monotonic() - t0
    assert done["phase"] == "ABORTED" and elapsed < 4, (done, elapsed)  # before SIGKILL
    out = hub.root / "data" / "users" / "alice" / "jobs" / job["id"]
    assert not out.exists() or not any(out.iterdir())
    assert alice.post(f"/jobs/{job['id']}/cancel").status_code == 409


def test_delete_removes_record_and_files(hub: Hub, alice: Client) -> None:
    job = alice.wait(alice.submit(sql="SELECT RA, DEC FROM DR2_MAIN WHERE ROWNUM <= 10",
                                  output="ten.csv")["id"])
    out = Path(hub.root / "data" / "users" / "alice" / "jobs" / job["id"])
    assert (out / "ten.csv").is_file()
    assert alice.delete(f"/jobs/{job['id']}").status_code == 204
    assert not out.exists()
    assert alice.get(f"/jobs/{job['id']}").status_code == 404


def test_new_jobs_are_quoted_from_completed_jobs_of_their_type(
    hub: Hub, alice: Client, done_job: dict
) -> None:
    for i in range(2):  # with done_job, at least three completed query jobs
        job = alice.submit(sql="SELECT COUNT(*) AS N FROM DR2_MAIN", output=f"n{i}.csv")
        assert alice.wait(job["id"])["phase"] == "COMPLETED"
    admin = hub.client("root-admin")
    done = admin.get("/jobs", params={"owner": "*", "phase": "COMPLETED", "type": "query",
                                      "limit": 20}).json()["jobs"]
    durations = sorted(j["duration"] for j in done)
    assert len(durations) >= 3
    n = len(durations)
    median = durations[n // 2] if n % 2 else (durations[n // 2 - 1] + durations[n // 2]) / 2
    quoted = alice.submit(sql="SELECT COUNT(*) AS N FROM DR2_MAIN", output="n.csv")
    assert quoted["quote"] == pytest.approx(median, abs=0.051)
    cutout = alice.submit(type="cutout", positions=[[0.1, 0.2]])
    assert cutout["quote"] is None  # no cutout job has completed: nothing to learn from
    for job in (quoted, cutout):
        alice.wait(job["id"])
