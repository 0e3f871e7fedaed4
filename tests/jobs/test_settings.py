"""Job service settings are declared once: environment names by one rule, docs generated."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from deslab_hub.config import PlatformSettings, _jobs_environment
from deslab_hub.jobs import settings_doc
from deslab_hub.jobs.settings import (
    ENV_ALIASES,
    ENV_PREFIX,
    JobServiceSettings,
    SettingsError,
    env_name,
)
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[2]
NAMES = dict(settings_doc.settings_traits())
KNOWN_ENV = {env_name(n) for n in NAMES} | {"DESLAB_JOBS_CONFIG_FILE"}


def test_every_setting_has_help_and_one_environment_name() -> None:
    assert set(ENV_ALIASES) <= set(NAMES)
    for name, trait in NAMES.items():
        assert len(trait.help.split()) >= 3, name
        expected = ENV_PREFIX + ENV_ALIASES.get(name, name.upper())
        assert env_name(name) == expected
        # the help never names an environment variable of its own (the docs do, generated)
        assert not re.search(r"DESLAB_JOBS_\w+", trait.help), name


def test_docs_table_is_generated_from_the_traits() -> None:
    doc = (ROOT / "docs" / "jobs.md").read_text(encoding="utf-8")
    assert settings_doc.with_table(doc) == doc, (
        "docs/jobs.md's settings table is out of date: python -m deslab_hub.jobs.settings_doc")
    for name in NAMES:
        assert f"`{env_name(name)}` (`{name}`)" in doc


def test_chart_schema_descriptions_are_generated_from_the_traits() -> None:
    path = ROOT / "helm-chart" / "deslab" / "values.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    expected = settings_doc.with_chart_descriptions(json.loads(json.dumps(schema)))
    assert expected == schema, (
        "values.schema.json is out of date: python -m deslab_hub.jobs.settings_doc")
    assert schema["properties"]["jobs"]["properties"]["maxRunning"]["description"] == (
        settings_doc.help_text(NAMES["max_running"]))


def test_every_variable_set_for_the_service_is_a_setting(tmp_path: Path) -> None:
    deployment = (ROOT / "helm-chart" / "deslab" / "templates" / "jobs" / "deployment.yaml")
    chart_env = set(re.findall(r"name: (DESLAB_JOBS_\w+)", deployment.read_text()))
    assert chart_env and chart_env <= KNOWN_ENV, chart_env - KNOWN_ENV
    local = _jobs_environment(PlatformSettings(data_dir=str(tmp_path)))
    assert {k for k in local if k.startswith(ENV_PREFIX)} <= KNOWN_ENV


def test_config_beats_environment_beats_default(monkeypatch) -> None:
    monkeypatch.setenv("DESLAB_JOBS_MAX_RUNNING", "3")
    monkeypatch.setenv("DESLAB_JOBS_LIFETIME_DAYS", "2.5")
    monkeypatch.setenv("DESLAB_JOBS_ADMIN_USERS", "ada, bob")
    monkeypatch.setenv("DESLAB_JOBS_EMAIL_BY_DEFAULT", "yes")
    monkeypatch.setenv("DESLAB_JOBS_WORKER_ENV", '{"A": 1}')
    s = JobServiceSettings()
    assert (s.max_running, s.worker_pool_size, s.default_lifetime_days) == (3, 3, 2.5)
    assert (s.admin_users, s.email_by_default, s.worker_environment) == (
        {"ada", "bob"}, True, {"A": "1"})
    assert s.max_running_per_user == 2
    c = Config()
    c.JobServiceSettings.max_running = 7
    assert JobServiceSettings(config=c).max_running == 7
    monkeypatch.setenv("DESLAB_JOBS_MAX_RUNNING", "many")
    with pytest.raises(SettingsError, match="DESLAB_JOBS_MAX_RUNNING='many'.*whole number"):
        JobServiceSettings()


@pytest.mark.parametrize(("variable", "value", "words"), [
    ("DESLAB_JOBS_MAX_RUNNING", "abc", "max_running takes a whole number"),
    ("DESLAB_JOBS_RUNNER", "nomad", "runner takes one of local, kubernetes"),
    ("DESLAB_JOBS_SMTP_STARTTLS", "maybe", "smtp_starttls takes true or false"),
    ("DESLAB_JOBS_WORKER_ENV", "[1]", "worker_environment takes a JSON object"),
])
def test_bad_values_stop_the_service_with_one_line(tmp_path: Path, variable: str, value: str,
                                                    words: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "DESLAB_JOBS_DATA_DIR": str(tmp_path / "d"),
           variable: value}
    proc = subprocess.run([sys.executable, "-m", "deslab_hub.jobs"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert variable in lines[0] and words in lines[0]
    assert not (tmp_path / "d").exists()
