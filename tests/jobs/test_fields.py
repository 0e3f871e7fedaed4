"""The fields every job has are checked in one place (deslab_hub.jobs.fields), without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from deslab_hub.jobs import fields, types
from deslab_hub.jobs.settings import JobServiceSettings

NOW = datetime(2030, 1, 1, tzinfo=UTC)
QUERY = types.JOB_TYPES["query"]
PARAMS = {"sql": "SELECT RA FROM DR2_MAIN"}


def settings() -> JobServiceSettings:
    return JobServiceSettings(default_lifetime_days=14, max_lifetime_days=60,
                              default_execution_duration=3600, max_execution_duration=86400)


def test_new_job_defaults() -> None:
    got = fields.new_job_fields({"type": "query"}, QUERY, PARAMS, settings(), NOW)
    assert got == fields.NewJobFields(name="SELECT RA FROM DR2_MAIN", execution_duration=3600,
                                      destruction=NOW + timedelta(days=14), email=False)


@pytest.mark.parametrize(("body", "words"), [
    ({"name": "x" * 201}, "'name' must be a string of at most 200"),
    ({"name": 3}, "'name' must be a string"),
    ({"execution_duration": 0}, "whole seconds from 1 to 86400"),
    ({"execution_duration": 1.5}, "whole seconds"),
    ({"execution_duration": True}, "whole seconds"),
    ({"lifetime_days": 61}, "at most 60"),
    ({"lifetime_days": 0}, "above 0"),
    ({"email": "yes"}, "'email' must be true or false"),
    ({"destruction": "2030-02-01T00:00:00Z"}, "give 'lifetime_days' when creating"),
])
def test_new_job_field_errors(body: dict, words: str) -> None:
    with pytest.raises(types.ParamError, match=words):
        fields.new_job_fields({"type": "query", **body}, QUERY, PARAMS, settings(), NOW)


def test_patch_fields() -> None:
    s = settings()
    assert fields.patch_fields({"name": "n"}, s, NOW) == {"name": "n"}
    assert fields.patch_fields({"lifetime_days": 2}, s, NOW) == {
        "destruction": NOW + timedelta(days=2), "expiry_warned": False}
    assert fields.patch_fields({"destruction": "2030-01-03T00:00:00"}, s, NOW)[
        "destruction"] == NOW + timedelta(days=2)
    for body, words in (({"owner": "eve"}, "cannot change 'owner'; fields that can be changed"),
                        ({"destruction": "soon"}, "ISO 8601"),
                        ({"destruction": "2029-12-31T00:00:00Z"}, "must be in the future"),
                        ({"destruction": "2031-01-01T00:00:00Z"}, "at most 60 days"),
                        ({"lifetime_days": 1e300}, "at most 60")):
        with pytest.raises(types.ParamError, match=words):
            fields.patch_fields(body, s, NOW)


def test_user_side_maps_the_service_status_without_reading_the_message() -> None:
    from deslab.errors import JobError
    from deslab.server.errors import status_and_message

    assert status_and_message(JobError("quota reached", status=429)) == (429, "quota reached")
    assert status_and_message(JobError("gone", status=404))[0] == 404
    assert status_and_message(JobError("the service broke", status=500))[0] == 502
    # the text alone means nothing: no status, a failed job or an unreachable service
    assert status_and_message(JobError("the job service answered 404: x"))[0] == 502
