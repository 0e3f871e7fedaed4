"""Quotas (429 naming the limit), expiry with a warning first, events, e-mail on completion."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests
from aiosmtpd.controller import Controller

from tests.jobs.jobs_helpers import SLOW_SQL, free_port

pytestmark = pytest.mark.integration


def test_concurrency_and_disk_quotas_answer_429_and_spare_other_users(jobsx) -> None:
    svc = jobsx(DESLAB_JOBS_MAX_ACTIVE_PER_USER="2", DESLAB_JOBS_MAX_RUNNING="3",
                DESLAB_JOBS_DISK_QUOTA_BYTES="60000").start()
    fay, gus = svc.client("fay"), svc.client("gus")
    slow = [fay.submit(sql=SLOW_SQL, output=f"s{i}.csv") for i in range(2)]
    r = fay.post("/jobs", json={"type": "query", "sql": "SELECT 1 AS X FROM DR2_MAIN"})
    assert r.status_code == 429
    assert "max_active_per_user = 2" in r.json()["error"] and "cancel" in r.json()["error"]
    small = gus.submit(sql="SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 200", output="small.csv")
    assert gus.wait(small["id"], timeout=60)["phase"] == "COMPLETED"  # fay's limit is fay's
    fay.post(f"/jobs/{slow[0]['id']}/cancel")
    fay.wait(slow[0]["id"])
    assert fay.post("/jobs", json={"type": "query", "sql": "SELECT 1 AS X"}).status_code == 201
    fay.post(f"/jobs/{slow[1]['id']}/cancel")

    # gus's quota holds while writing: a result larger than his share stops with the reason
    big = gus.submit(sql="SELECT * FROM DR2_MAIN WHERE ROWNUM <= 2000", output="big.fits")
    done = gus.wait(big["id"], timeout=60)
    assert done["phase"] == "ERROR" and "disk_quota_bytes = 60.0 kB" in done["error"], done
    used = gus.get(f"/jobs/{small['id']}").json()["results_bytes"]
    assert 0 < used and gus.get("/limits").json()["disk_used_bytes"] == used
    # the operator lowers the quota below what gus's results hold: new jobs answer 429
    svc.stop()
    svc.settings["DESLAB_JOBS_DISK_QUOTA_BYTES"] = "1000"
    svc.start()
    r = gus.post("/jobs", json={"type": "query", "sql": "SELECT 1 AS X"})
    assert r.status_code == 429
    err = r.json()["error"]
    assert "disk quota" in err and "disk_quota_bytes" in err and "Delete" in err
    assert gus.delete(f"/jobs/{small['id']}").status_code == 204
    assert gus.post("/jobs", json={"type": "query", "sql": "SELECT 1 AS X"}).status_code == 201
    limits = gus.get("/limits").json()
    assert limits["max_active_per_user"] == 2 and limits["disk_quota_bytes"] == 1000


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append(envelope)
        self.arrived.set()
        return "250 OK"


def test_events_expiry_warning_removal_and_email(jobsx) -> None:
    inbox = Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        svc = jobsx(DESLAB_JOBS_EXPIRY_WARNING_HOURS="1", DESLAB_JOBS_SWEEP_INTERVAL="0.5",
                    DESLAB_JOBS_SMTP_HOST="127.0.0.1", DESLAB_JOBS_SMTP_PORT=str(port),
                    DESLAB_JOBS_EMAIL_ADDRESS="{username}@example.org",
                    DESLAB_JOBS_EMAIL_FROM="jobs@deslab.example").start()
        hal = svc.client("hal")
        first = hal.get("/events", params={"timeout": 0}).json()
        since = first["last_id"]
        job = hal.submit(sql="SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 5", output="e.csv",
                         email=True, name="mail me")
        got = hal.get("/events", params={"since": since, "timeout": 60}, timeout=75).json()
        assert got["events"], got  # the long poll answered with the event, not empty-handed
        ev = got["events"][0]
        assert ev["job_id"] == job["id"] and ev["kind"] == "phase"
        assert ev["phase"] == "COMPLETED" and got["last_id"] == ev["id"]

        assert inbox.arrived.wait(15)
        mail = inbox.messages[0]
        assert mail.rcpt_tos == ["hal@example.org"]
        body = mail.content.decode()
        assert "COMPLETED" in body and job["id"] in body and "mail me" in body

        other = svc.client("ivy")
        assert other.get("/events", params={"timeout": 0}).json()["events"] == []

        soon = (datetime.now(UTC) + timedelta(seconds=4)).isoformat()
        assert hal.patch(f"/jobs/{job['id']}", json={"destruction": soon}).status_code == 200
        with requests.get(f"{svc.base}/events", params={"since": ev["id"]}, stream=True,
                          headers={"Authorization": f"token {hal.token}",
                                   "Accept": "text/event-stream"}, timeout=30) as stream:
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            kinds = []
            data = None
            for line in stream.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    kinds.append(line[7:])
                if line.startswith("data: "):
                    data = json.loads(line[6:])
                if kinds == ["expiring", "expired"] and data and data["kind"] == "expired":
                    break
        assert kinds == ["expiring", "expired"]
        assert hal.get(f"/jobs/{job['id']}").status_code == 404
        assert not (svc.data_dir / "users" / "hal" / "jobs" / job["id"]).exists()
    finally:
        smtp.stop()
