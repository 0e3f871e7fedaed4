"""Settings of the job service, declared once as traitlets with their help.

Each setting can be given in a config file (``c.JobServiceSettings.max_running = 8``) or in the
service's environment (``DESLAB_JOBS_MAX_RUNNING=8``; the name is in each help text). The
platform's hub configuration (``deslab_hub.config``) sets the environment of the hub-managed
service; the Helm chart sets it on the job service's Deployment.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from traitlets import Bool, Dict, Enum, Float, Int, List, Set, Unicode, default
from traitlets.config import Configurable

ENV_PREFIX = "DESLAB_JOBS_"

DEFAULT_PASSTHROUGH = [
    "DESLAB_CATALOG",
    "DESLAB_CATALOG_PASSWORD_FILE",
    "DESLAB_CATALOG_PASSWORD",
    "DESLAB_TILES",
    "PATH",
    "LANG",
    "LC_ALL",
    "TZ",
    "PYTHONPATH",
]


def _env(name: str) -> str | None:
    value = os.environ.get(ENV_PREFIX + name)
    return value if value not in (None, "") else None


class JobServiceSettings(Configurable):
    """Every setting of the job service."""

    # -- where things are -----------------------------------------------------------
    data_dir = Unicode(
        help="""Data directory of a local platform (``DESLAB_JOBS_DATA_DIR``, else
        ``DESLAB_DATA_DIR``, else the current directory). Expands ``{data_dir}`` in
        ``home_dir_template`` and holds the default database and ``state_dir``.""",
    ).tag(config=True)

    @default("data_dir")
    def _data_dir(self) -> str:
        return _env("DATA_DIR") or os.environ.get("DESLAB_DATA_DIR") or os.getcwd()

    home_dir_template = Unicode(
        help="""Home directory of each user (``DESLAB_JOBS_HOME_TEMPLATE``), with
        ``{username}`` and ``{data_dir}`` expanded; default ``{data_dir}/users/{username}``,
        the homes of the local spawner. Results of job ``<id>`` land in
        ``<home>/jobs/<id>/``. In the cluster, the path where the job service mounts the users'
        volumes.""",
    ).tag(config=True)

    @default("home_dir_template")
    def _home_template(self) -> str:
        return _env("HOME_TEMPLATE") or "{data_dir}/users/{username}"

    state_dir = Unicode(
        help="""Directory for the service's own files (``DESLAB_JOBS_STATE_DIR``; default
        ``{data_dir}/jobs-service``): the workers' spec and status files and their logs.
        Users never see it.""",
    ).tag(config=True)

    @default("state_dir")
    def _state_dir(self) -> str:
        return _env("STATE_DIR") or os.path.join(self.data_dir, "jobs-service")

    db_url = Unicode(
        help="""SQLAlchemy URL of the job database (``DESLAB_JOBS_DB_URL``). Default
        ``sqlite:///{data_dir}/jobs.sqlite``; in the cluster a PostgreSQL URL such as
        ``postgresql+psycopg://jobs@db:5432/jobs`` (password through ``db_password_file``).
        Migrations run at start-up.""",
    ).tag(config=True)

    @default("db_url")
    def _db_url(self) -> str:
        return _env("DB_URL") or "sqlite:///" + os.path.join(self.data_dir, "jobs.sqlite")

    db_password_file = Unicode(
        help="""File holding the database password (``DESLAB_JOBS_DB_PASSWORD_FILE``), added
        to ``db_url`` at connect time so the URL itself never carries it.""",
    ).tag(config=True)

    @default("db_password_file")
    def _db_password_file(self) -> str:
        return _env("DB_PASSWORD_FILE") or ""

    # -- the HTTP server ----------------------------------------------------------------
    ip = Unicode(
        help="""Address to listen on; default from ``JUPYTERHUB_SERVICE_URL`` (set by the
        hub for a managed service), else ``DESLAB_JOBS_IP``, else 127.0.0.1.""",
    ).tag(config=True)

    @default("ip")
    def _ip(self) -> str:
        from urllib.parse import urlsplit

        url = os.environ.get("JUPYTERHUB_SERVICE_URL")
        if url and urlsplit(url).hostname:
            return urlsplit(url).hostname or "127.0.0.1"
        return _env("IP") or "127.0.0.1"

    port = Int(
        help="""Port to listen on; default from ``JUPYTERHUB_SERVICE_URL``, else
        ``DESLAB_JOBS_PORT``, else 8090.""",
    ).tag(config=True)

    @default("port")
    def _port(self) -> int:
        from urllib.parse import urlsplit

        url = os.environ.get("JUPYTERHUB_SERVICE_URL")
        if url and urlsplit(url).port:
            return int(urlsplit(url).port or 0)
        return int(_env("PORT") or 8090)

    base_url = Unicode(
        help="""URL prefix of the service (``JUPYTERHUB_SERVICE_PREFIX``, default
        ``/services/jobs/``); the API is under ``<prefix>api/``.""",
    ).tag(config=True)

    @default("base_url")
    def _base_url(self) -> str:
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX") or "/services/jobs/"
        return prefix if prefix.endswith("/") else prefix + "/"

    max_body_bytes = Int(
        6 * 1024 * 1024,
        help="""Largest request body accepted, in bytes (``DESLAB_JOBS_MAX_BODY_BYTES``);
        larger bodies answer 413. Cutout position lists are the largest bodies.""",
    ).tag(config=True)

    admin_users = Set(
        Unicode(),
        help="""Users who see and act on every job, in addition to the hub's admins
        (``DESLAB_JOBS_ADMIN_USERS``, comma-separated).""",
    ).tag(config=True)

    @default("admin_users")
    def _admin_users(self) -> set[str]:
        return {u.strip() for u in (_env("ADMIN_USERS") or "").split(",") if u.strip()}

    # -- running jobs ---------------------------------------------------------------------
    runner = Enum(
        ["local", "kubernetes"],
        help="""Where workers run (``DESLAB_JOBS_RUNNER``): ``local`` subprocesses of the
        service, or ``kubernetes`` batch/v1 Jobs with the notebook image (see
        ``KubernetesRunner``).""",
    ).tag(config=True)

    @default("runner")
    def _runner(self) -> str:
        return _env("RUNNER") or "local"

    worker_python = Unicode(
        help="""Python interpreter that runs ``-m deslab.jobs.worker`` for the local runner
        (``DESLAB_JOBS_PYTHON``; default the service's own). It must have ``deslab``
        installed.""",
    ).tag(config=True)

    @default("worker_python")
    def _worker_python(self) -> str:
        return _env("PYTHON") or sys.executable

    worker_environment = Dict(
        help="""Extra environment of every worker (``DESLAB_JOBS_WORKER_ENV``, a JSON
        object), e.g. ``{"DESLAB_CATALOG": "duckdb:///data/catalog.duckdb"}``.""",
    ).tag(config=True)

    @default("worker_environment")
    def _worker_environment(self) -> dict[str, str]:
        raw = _env("WORKER_ENV")
        return {str(k): str(v) for k, v in json.loads(raw).items()} if raw else {}

    worker_env_passthrough = List(
        Unicode(),
        default_value=DEFAULT_PASSTHROUGH,
        help="""Names of the service's environment variables copied into every worker's
        environment (the catalog and tile settings). ``HOME``, ``DESLAB_HOME`` and
        ``DESLAB_JOB_ID`` are always set to the job owner's home and the job id; nothing
        else of the service's environment (its hub token in particular) reaches a worker.""",
    ).tag(config=True)

    worker_pool_size = Int(
        help="""Standby workers the local runner keeps started (``DESLAB_JOBS_WORKER_POOL``,
        default ``max_running``; 0: none). A standby worker has imported the task modules
        already and takes exactly one job, so a job does not wait for Python's imports;
        every job still runs in its own process, with its own environment.""",
    ).tag(config=True)

    @default("worker_pool_size")
    def _pool(self) -> int:
        raw = _env("WORKER_POOL")
        return int(raw) if raw is not None else self.max_running

    max_running = Int(
        help="""Jobs executing at once over all users (``DESLAB_JOBS_MAX_RUNNING``, default
        the number of CPUs); more wait QUEUED.""",
    ).tag(config=True)

    @default("max_running")
    def _max_running(self) -> int:
        return int(_env("MAX_RUNNING") or max(1, os.cpu_count() or 1))

    max_running_per_user = Int(
        help="""Jobs of one user executing at once (``DESLAB_JOBS_MAX_RUNNING_PER_USER``,
        default 2); a user's further jobs wait QUEUED and other users' jobs go first.""",
    ).tag(config=True)

    @default("max_running_per_user")
    def _max_running_per_user(self) -> int:
        return int(_env("MAX_RUNNING_PER_USER") or 2)

    max_active_per_user = Int(
        help="""Jobs one user may have PENDING, QUEUED or EXECUTING at once
        (``DESLAB_JOBS_MAX_ACTIVE_PER_USER``, default 50). Creating one more answers 429.""",
    ).tag(config=True)

    @default("max_active_per_user")
    def _max_active_per_user(self) -> int:
        return int(_env("MAX_ACTIVE_PER_USER") or 50)

    disk_quota_bytes = Int(
        help="""Bytes of job results one user may keep under ``~/jobs``
        (``DESLAB_JOBS_DISK_QUOTA_BYTES``, default 20 GiB; 0 for no limit). Creating a job
        while over it answers 429; query jobs are capped to the room left.""",
    ).tag(config=True)

    @default("disk_quota_bytes")
    def _disk_quota(self) -> int:
        return int(_env("DISK_QUOTA_BYTES") or 20 * 1024**3)

    default_execution_duration = Int(
        help="""Seconds a job may execute unless it asks for less
        (``DESLAB_JOBS_EXECUTION_DURATION``, default 3600); then it is stopped and ends in
        ERROR.""",
    ).tag(config=True)

    @default("default_execution_duration")
    def _default_exec(self) -> int:
        return int(_env("EXECUTION_DURATION") or 3600)

    max_execution_duration = Int(
        help="""Largest execution duration a job may ask for, in seconds
        (``DESLAB_JOBS_MAX_EXECUTION_DURATION``, default 86400).""",
    ).tag(config=True)

    @default("max_execution_duration")
    def _max_exec(self) -> int:
        return int(_env("MAX_EXECUTION_DURATION") or 86400)

    default_lifetime_days = Float(
        help="""Days a job and its results are kept after creation
        (``DESLAB_JOBS_LIFETIME_DAYS``, default 14): its destruction time.""",
    ).tag(config=True)

    @default("default_lifetime_days")
    def _lifetime(self) -> float:
        return float(_env("LIFETIME_DAYS") or 14)

    max_lifetime_days = Float(
        help="""Furthest a destruction time may be set or renewed, in days from now
        (``DESLAB_JOBS_MAX_LIFETIME_DAYS``, default 60).""",
    ).tag(config=True)

    @default("max_lifetime_days")
    def _max_lifetime(self) -> float:
        return float(_env("MAX_LIFETIME_DAYS") or 60)

    expiry_warning_hours = Float(
        help="""An ``expiring`` event is raised this many hours before a job's destruction
        time (``DESLAB_JOBS_EXPIRY_WARNING_HOURS``, default 48).""",
    ).tag(config=True)

    @default("expiry_warning_hours")
    def _warning(self) -> float:
        return float(_env("EXPIRY_WARNING_HOURS") or 48)

    sweep_interval = Float(
        help="""Seconds between expiry sweeps (``DESLAB_JOBS_SWEEP_INTERVAL``, default 60).""",
    ).tag(config=True)

    @default("sweep_interval")
    def _sweep(self) -> float:
        return float(_env("SWEEP_INTERVAL") or 60)

    poll_interval = Float(
        help="""Seconds between scheduler rounds (``DESLAB_JOBS_POLL_INTERVAL``, default 0.5):
        progress updates, finished workers, queued jobs to start.""",
    ).tag(config=True)

    @default("poll_interval")
    def _poll(self) -> float:
        return float(_env("POLL_INTERVAL") or 0.5)

    heartbeat_timeout = Float(
        help="""A worker whose heartbeat is older than this many seconds and whose process
        cannot be seen counts as lost (``DESLAB_JOBS_HEARTBEAT_TIMEOUT``, default 60).""",
    ).tag(config=True)

    @default("heartbeat_timeout")
    def _hb(self) -> float:
        return float(_env("HEARTBEAT_TIMEOUT") or 60)

    cancel_grace = Float(
        help="""Seconds between SIGTERM and SIGKILL when a job is cancelled
        (``DESLAB_JOBS_CANCEL_GRACE``, default 10).""",
    ).tag(config=True)

    @default("cancel_grace")
    def _grace(self) -> float:
        return float(_env("CANCEL_GRACE") or 10)

    lost_worker_retries = Int(
        help="""Times a job whose worker died without reporting (killed, node lost) is
        queued again before it ends in ERROR (``DESLAB_JOBS_LOST_WORKER_RETRIES``,
        default 1).""",
    ).tag(config=True)

    @default("lost_worker_retries")
    def _retries(self) -> int:
        return int(_env("LOST_WORKER_RETRIES") or 1)

    events_retention_days = Float(
        help="""Days events are kept for ``GET api/events`` (``DESLAB_JOBS_EVENTS_DAYS``,
        default 7).""",
    ).tag(config=True)

    @default("events_retention_days")
    def _events_days(self) -> float:
        return float(_env("EVENTS_DAYS") or 7)

    # -- e-mail -------------------------------------------------------------------------
    smtp_host = Unicode(
        help="""SMTP server for completion e-mails (``DESLAB_JOBS_SMTP_HOST``); empty: no
        e-mail is sent.""",
    ).tag(config=True)

    @default("smtp_host")
    def _smtp_host(self) -> str:
        return _env("SMTP_HOST") or ""

    smtp_port = Int(
        help="SMTP port (``DESLAB_JOBS_SMTP_PORT``, default 25; 587 with STARTTLS).",
    ).tag(config=True)

    @default("smtp_port")
    def _smtp_port(self) -> int:
        return int(_env("SMTP_PORT") or 25)

    smtp_starttls = Bool(
        help="Use STARTTLS on the SMTP connection (``DESLAB_JOBS_SMTP_STARTTLS=1``).",
    ).tag(config=True)

    @default("smtp_starttls")
    def _starttls(self) -> bool:
        return (_env("SMTP_STARTTLS") or "0").lower() in ("1", "true", "yes")

    smtp_username = Unicode(
        help="SMTP login name (``DESLAB_JOBS_SMTP_USERNAME``); empty: no login.",
    ).tag(config=True)

    @default("smtp_username")
    def _smtp_user(self) -> str:
        return _env("SMTP_USERNAME") or ""

    smtp_password_file = Unicode(
        help="File holding the SMTP password (``DESLAB_JOBS_SMTP_PASSWORD_FILE``).",
    ).tag(config=True)

    @default("smtp_password_file")
    def _smtp_pw(self) -> str:
        return _env("SMTP_PASSWORD_FILE") or ""

    email_from = Unicode(
        help="""Sender of completion e-mails (``DESLAB_JOBS_EMAIL_FROM``, default
        ``deslab-jobs@localhost``).""",
    ).tag(config=True)

    @default("email_from")
    def _from(self) -> str:
        return _env("EMAIL_FROM") or "deslab-jobs@localhost"

    email_address_template = Unicode(
        help="""A user's address, ``{username}`` expanded (``DESLAB_JOBS_EMAIL_ADDRESS``),
        e.g. ``{username}@example.org``; empty: no e-mail is sent.""",
    ).tag(config=True)

    @default("email_address_template")
    def _addr(self) -> str:
        return _env("EMAIL_ADDRESS") or ""

    email_by_default = Bool(
        help="""Whether a job sends an e-mail when it ends unless it says ``"email": false``
        (``DESLAB_JOBS_EMAIL_BY_DEFAULT=1``).""",
    ).tag(config=True)

    @default("email_by_default")
    def _email_default(self) -> bool:
        return (_env("EMAIL_BY_DEFAULT") or "0").lower() in ("1", "true", "yes")

    public_url = Unicode(
        help="""Public URL of the platform, used for links in e-mails
        (``DESLAB_JOBS_PUBLIC_URL``, e.g. ``https://deslab.example.org/``).""",
    ).tag(config=True)

    @default("public_url")
    def _public(self) -> str:
        return _env("PUBLIC_URL") or ""

    def home_of(self, username: str) -> str:
        """The home directory of ``username`` as a string (not yet checked)."""
        return self.home_dir_template.format(username=username, data_dir=self.data_dir)

    def describe(self) -> dict[str, Any]:
        """The limits a user may want to know (``GET api/limits``)."""
        return {
            "max_active_per_user": self.max_active_per_user,
            "max_running_per_user": self.max_running_per_user,
            "disk_quota_bytes": self.disk_quota_bytes,
            "default_execution_duration": self.default_execution_duration,
            "max_execution_duration": self.max_execution_duration,
            "default_lifetime_days": self.default_lifetime_days,
            "max_lifetime_days": self.max_lifetime_days,
        }
