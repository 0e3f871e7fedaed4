"""Settings of the job service, declared once as traitlets with their help.

Each setting can be given in a config file (``c.JobServiceSettings.max_running = 8``) or in the
service's environment, whose name follows one rule: ``DESLAB_JOBS_`` and the trait's name in
capitals (``DESLAB_JOBS_MAX_RUNNING=8``), except the older names in :data:`ENV_ALIASES`. A config
file wins over the environment, the environment over the default; a bad value stops the
service with one line naming the variable. The platform's hub configuration
(``deslab_hub.config``) sets the environment of the hub-managed service; the Helm chart sets
it on the job service's Deployment. The settings table of ``docs/jobs.md`` is generated from
the traits (:mod:`deslab_hub.jobs.settings_doc`).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from traitlets import Bool, Dict, Enum, Float, Int, List, Set, TraitError, Unicode, default
from traitlets.config import Configurable

ENV_PREFIX = "DESLAB_JOBS_"
# trait -> the environment name it had before the rule (kept so deployments keep working)
ENV_ALIASES = {
    "home_dir_template": "HOME_TEMPLATE",
    "worker_python": "PYTHON",
    "worker_environment": "WORKER_ENV",
    "worker_pool_size": "WORKER_POOL",
    "default_execution_duration": "EXECUTION_DURATION",
    "default_lifetime_days": "LIFETIME_DAYS",
    "events_retention_days": "EVENTS_DAYS",
    "email_address_template": "EMAIL_ADDRESS",
}
# set by JupyterHub for a managed service; they win over DESLAB_JOBS_IP/PORT
HUB_SERVICE_URL = "JUPYTERHUB_SERVICE_URL"

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


class SettingsError(ValueError):
    """A setting's value is invalid; the message names the variable and what it takes."""


def env_name(trait: str) -> str:
    """The environment variable of the setting ``trait`` (the rule, or its old alias)."""
    return ENV_PREFIX + ENV_ALIASES.get(trait, trait.upper())


def _parse(trait: Any, raw: str) -> Any:
    """``raw`` (an environment value) as a value of ``trait``."""
    if isinstance(trait, Bool):
        low = raw.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError("true or false (1/0, yes/no)")
    if isinstance(trait, Int):
        return int(raw)
    if isinstance(trait, Float):
        return float(raw)
    if isinstance(trait, Dict):
        value = json.loads(raw)
        if not isinstance(value, dict):
            raise ValueError("a JSON object")
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(trait, List | Set):
        items = [item.strip() for item in raw.split(",") if item.strip()]
        return set(items) if isinstance(trait, Set) else items
    return raw


_KIND = {Bool: "true or false", Int: "a whole number", Float: "a number",
         Dict: "a JSON object", List: "a comma-separated list", Set: "a comma-separated list"}


class JobServiceSettings(Configurable):
    """Every setting of the job service.

    Raises
    ------
    SettingsError
        When an environment variable holds a value its setting cannot take.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        configured = set(kwargs) | set(self.config.get(type(self).__name__, {}))
        for name, trait in self.traits(config=True).items():
            if name in configured or (name in ("ip", "port") and os.environ.get(HUB_SERVICE_URL)):
                continue
            variable = env_name(name)
            raw = os.environ.get(variable)
            if raw in (None, ""):
                continue
            try:
                setattr(self, name, _parse(trait, raw))
            except (ValueError, TraitError) as exc:
                kind = next((k for cls, k in _KIND.items() if isinstance(trait, cls)), "")
                valid = getattr(trait, "values", None)
                wanted = f"one of {', '.join(map(str, valid))}" if valid else kind or str(exc)
                raise SettingsError(
                    f"{variable}={raw[:60]!r} is not valid: {name} takes {wanted}"
                ) from None

    # -- where things are -----------------------------------------------------------
    data_dir = Unicode(
        help="""Data directory of a local platform. Expands ``{data_dir}`` in ``home_dir_template``
        and holds the default database and ``state_dir``.""",
    ).tag(config=True, default_doc="``$DESLAB_DATA_DIR`` or the working directory")

    @default("data_dir")
    def _data_dir(self) -> str:
        return os.environ.get("DESLAB_DATA_DIR") or os.getcwd()

    home_dir_template = Unicode(
        "{data_dir}/users/{username}",
        help="""Home directory of each user, with ``{username}``, ``{account}`` (the user's
        system account, see ``account_prefix``) and ``{data_dir}`` expanded; default
        ``{data_dir}/users/{username}``, the homes of the local spawner. Results of job ``<id>``
        land in ``<home>/jobs/<id>/``. In the cluster, the path where the job service mounts the
        users' volumes, with ``{safe_username}`` (KubeSpawner's slug of the name, the user's
        sub-path of a shared claim) instead of ``{username}``.""",
    ).tag(config=True)

    state_dir = Unicode(
        help="""Directory for the service's own files: the workers' spec files, report FIFOs
        and logs. Users never see it.""",
    ).tag(config=True, default_doc="``{data_dir}/jobs-service``")

    @default("state_dir")
    def _state_dir(self) -> str:
        return os.path.join(self.data_dir, "jobs-service")

    run_as_owner = Bool(
        False,
        help="""Run each local worker as its owner's Unix account (the local platform started
        as root sets it): the account is the one the local spawner created for the user
        (``account_prefix``), its results are written by and belong to that account, and no
        worker runs as root. Needs the service to run as root.""",
    ).tag(config=True)
    account_prefix = Unicode(
        "dl-",
        help="""Start of the system account names of the local platform; expands ``{account}``
        in ``home_dir_template`` and names the account ``run_as_owner`` runs workers as.""",
    ).tag(config=True)

    db_url = Unicode(
        help="""SQLAlchemy URL of the job database. Default ``sqlite:///{data_dir}/jobs.sqlite``;
        in the cluster a PostgreSQL URL such as ``postgresql+psycopg://jobs@db:5432/jobs``
        (password through ``db_password_file``). Migrations run at start-up.""",
    ).tag(config=True, default_doc="``sqlite:///{data_dir}/jobs.sqlite``")

    @default("db_url")
    def _db_url(self) -> str:
        return "sqlite:///" + os.path.join(self.data_dir, "jobs.sqlite")

    db_password_file = Unicode(
        "",
        help="""File holding the database password, added to ``db_url`` at connect time so the URL
        itself never carries it.""",
    ).tag(config=True)

    # -- the HTTP server ----------------------------------------------------------------
    ip = Unicode(
        help="""Address to listen on. ``JUPYTERHUB_SERVICE_URL`` (set by the hub for a managed
        service) wins over the environment variable.""",
    ).tag(config=True, default_doc="from ``$JUPYTERHUB_SERVICE_URL``, else 127.0.0.1")

    @default("ip")
    def _ip(self) -> str:
        from urllib.parse import urlsplit

        url = os.environ.get("JUPYTERHUB_SERVICE_URL")
        if url and urlsplit(url).hostname:
            return urlsplit(url).hostname or "127.0.0.1"
        return "127.0.0.1"

    port = Int(
        help="""Port to listen on. ``JUPYTERHUB_SERVICE_URL`` (set by the hub for a managed
        service) wins over the environment variable.""",
    ).tag(config=True, default_doc="from ``$JUPYTERHUB_SERVICE_URL``, else 8090")

    @default("port")
    def _port(self) -> int:
        from urllib.parse import urlsplit

        url = os.environ.get("JUPYTERHUB_SERVICE_URL")
        if url and urlsplit(url).port:
            return int(urlsplit(url).port or 0)
        return 8090

    base_url = Unicode(
        help="""URL prefix of the service; the API is under ``<prefix>api/``.""",
    ).tag(config=True, default_doc="``$JUPYTERHUB_SERVICE_PREFIX`` or ``/services/jobs/``")

    @default("base_url")
    def _base_url(self) -> str:
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX") or "/services/jobs/"
        return prefix if prefix.endswith("/") else prefix + "/"

    max_body_bytes = Int(
        6 * 1024 * 1024,
        help="""Largest request body accepted, in bytes; larger bodies answer 413. Cutout position
        lists are the largest bodies.""",
    ).tag(config=True, default_doc="6 MiB")

    admin_users = Set(
        Unicode(),
        help="""Users who see and act on every job, in addition to the hub's admins.""",
    ).tag(config=True)

    # -- running jobs ---------------------------------------------------------------------
    runner = Enum(
        ["local", "kubernetes"],
        default_value="local",
        help="""Where workers run: ``local`` subprocesses of the service, or ``kubernetes``
        batch/v1 Jobs with the notebook image (see ``KubernetesRunner``).""",
    ).tag(config=True)

    worker_python = Unicode(
        help="""Python interpreter that runs ``-m deslab.jobs.worker`` for the local runner. It
        must have ``deslab`` installed.""",
    ).tag(config=True, default_doc="the service's Python")

    @default("worker_python")
    def _worker_python(self) -> str:
        return sys.executable

    worker_environment = Dict(
        help="""Extra environment of every worker, e.g. ``{"DESLAB_CATALOG":
        "duckdb:///data/catalog.duckdb"}``.""",
    ).tag(config=True)

    worker_env_passthrough = List(
        Unicode(),
        default_value=DEFAULT_PASSTHROUGH,
        help="""Names of the service's environment variables copied into every worker's environment
        (the catalog and tile settings). ``HOME``, ``DESLAB_HOME`` and ``DESLAB_JOB_ID`` are
        always set to the job owner's home and the job id; nothing else of the service's
        environment (its hub token in particular) reaches a worker.""",
    ).tag(config=True)

    worker_pool_size = Int(
        help="""Standby workers the local runner keeps started. A standby worker has imported the
        task modules already and takes exactly one job, so a job does not wait for Python's
        imports; every job still runs in its own process, with its own environment.""",
    ).tag(config=True, default_doc="``max_running``")

    @default("worker_pool_size")
    def _pool(self) -> int:
        return self.max_running

    worker_memory_limit = Int(
        8 * 1024**3,
        help="""Address space one local worker may use, in bytes (0: no limit). Applied with
        ``RLIMIT_AS`` when the worker starts (its Dask workers and other children inherit it);
        an allocation past it fails and the job ends in ERROR saying it ran out of memory
        under this limit. Python, DuckDB and Arrow map about 0.5 GB before a job runs, so keep
        it well above 1.5 GB. Kubernetes workers get the pod's memory limit instead.""",
    ).tag(config=True, default_doc="8 GiB")

    max_running = Int(
        help="""Jobs executing at once over all users; more wait QUEUED.""",
    ).tag(config=True, default_doc="the number of CPUs")

    @default("max_running")
    def _max_running(self) -> int:
        return max(1, os.cpu_count() or 1)

    max_running_per_user = Int(
        2,
        help="""Jobs of one user executing at once; a user's further jobs wait QUEUED and other
        users' jobs go first.""",
    ).tag(config=True)

    max_active_per_user = Int(
        50,
        help="""Jobs one user may have PENDING, QUEUED or EXECUTING at once. Creating one more
        answers 429.""",
    ).tag(config=True)

    disk_quota_bytes = Int(
        20 * 1024**3,
        help="""Bytes of job results one user may keep (0: no limit), counted from the job
        records: completed jobs' results plus what running jobs have reserved. A starting job
        reserves its share of the room left and its worker stops it (ERROR naming the quota,
        partial files removed) as soon as a write batch passes that share; creating a job
        once completed results fill the quota answers 429.""",
    ).tag(config=True, default_doc="20 GiB")

    default_execution_duration = Int(
        3600,
        help="""Seconds a job may execute unless it asks for less; then it is stopped and ends in
        ERROR.""",
    ).tag(config=True)

    max_execution_duration = Int(
        86400,
        help="""Largest execution duration a job may ask for, in seconds.""",
    ).tag(config=True)

    default_lifetime_days = Float(
        14.0,
        help="""Days a job and its results are kept after creation: its destruction time.""",
    ).tag(config=True)

    max_lifetime_days = Float(
        60.0,
        help="""Furthest a destruction time may be set or renewed, in days from now.""",
    ).tag(config=True)

    expiry_warning_hours = Float(
        48.0,
        help="""An ``expiring`` event is raised this many hours before a job's destruction time.""",
    ).tag(config=True)

    sweep_interval = Float(
        60.0,
        help="""Seconds between expiry sweeps.""",
    ).tag(config=True)

    poll_interval = Float(
        0.5,
        help="""Seconds between scheduler rounds: progress updates, finished workers, queued jobs
        to start.""",
    ).tag(config=True)

    heartbeat_timeout = Float(
        60.0,
        help="""Seconds without a report from a running worker. A worker that stopped reporting
        is stopped (SIGTERM, then SIGKILL after ``cancel_grace``) and its job ends in ERROR
        saying so; a worker whose process cannot be seen counts as lost after this long.""",
    ).tag(config=True)

    cancel_grace = Float(
        10.0,
        help="""Seconds between SIGTERM and SIGKILL when a job is cancelled.""",
    ).tag(config=True)

    lost_worker_retries = Int(
        1,
        help="""Times a job whose worker died without reporting (killed, node lost) is queued again
        before it ends in ERROR.""",
    ).tag(config=True)

    events_retention_days = Float(
        7.0,
        help="""Days events are kept for ``GET api/events``.""",
    ).tag(config=True)

    # -- e-mail -------------------------------------------------------------------------
    smtp_host = Unicode(
        "",
        help="""SMTP server for completion e-mails; empty: no e-mail is sent.""",
    ).tag(config=True)

    smtp_port = Int(
        25,
        help="SMTP port (587 with STARTTLS).",
    ).tag(config=True)

    smtp_starttls = Bool(
        False,
        help="Use STARTTLS on the SMTP connection.",
    ).tag(config=True)

    smtp_username = Unicode(
        "",
        help="SMTP login name; empty: no login.",
    ).tag(config=True)

    smtp_password_file = Unicode(
        "",
        help="File holding the SMTP password.",
    ).tag(config=True)

    email_from = Unicode(
        "deslab-jobs@localhost",
        help="""Sender of completion e-mails.""",
    ).tag(config=True)

    email_address_template = Unicode(
        "",
        help="""A user's address, ``{username}`` expanded, e.g. ``{username}@example.org``; empty:
        no e-mail is sent.""",
    ).tag(config=True)

    email_by_default = Bool(
        False,
        help="""Whether a job sends an e-mail when it ends unless it says ``"email": false``.""",
    ).tag(config=True)

    public_url = Unicode(
        "",
        help="""Public URL of the platform, used for links in e-mails.""",
    ).tag(config=True)

    def home_of(self, username: str) -> str:
        """The home directory of ``username`` as a string (``PathError`` if it cannot be)."""
        from deslab_hub.jobs.paths import home_dir

        return str(home_dir(self.home_dir_template, username, self.data_dir,
                            self.account_prefix))

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
