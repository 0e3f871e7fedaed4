"""Property-based fuzzing of the job service's OpenAPI description against the running
service (schemathesis, valid and invalid requests for every operation): no answer is a 5xx,
every 4xx is the documented JSON error with a message, and the service still answers.

Bounded: a fixed number of examples per operation (about a minute in all here); the
requests carry a real user's token, so they reach the handlers behind authentication.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.jobs.jobs_helpers import Client, Hub

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OPENAPI = Path(__file__).resolve().parents[2] / "hub" / "deslab_hub" / "jobs" / "openapi.yaml"


@pytest.fixture(scope="module")
def fuzzer(hub: Hub) -> Client:
    """The fuzzing user; their jobs are cancelled and deleted afterwards."""
    client = hub.client("fuzzer")
    yield client
    for job in client.get("/jobs", params={"limit": 1000}).json()["jobs"]:
        client.delete(f"/jobs/{job['id']}")


schema = schemathesis.openapi.from_path(OPENAPI)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)
def test_no_request_makes_the_job_service_fail(case, hub: Hub, fuzzer: Client) -> None:
    if case.path == "/events":
        case.query = {**(case.query or {}), "timeout": 0}  # no long polls in a bounded run
    response = case.call(base_url=fuzzer.base,
                         headers={"Authorization": f"token {fuzzer.token}"}, timeout=30)
    assert response.status_code < 500, (case.method, case.path, response.status_code,
                                        response.text[:300])
    if response.status_code >= 400:
        body = response.json()
        assert body["status"] == response.status_code and body["error"], body
        assert "Traceback" not in body["error"]
