"""The one JupyterHub configuration builder, for the local platform and for Kubernetes.

:class:`PlatformSettings` declares every setting once (traitlets with help);
:func:`build_config` turns them into a traitlets ``Config`` for JupyterHub:

- the proxy, the hub's own addresses and the secrets;
- roles: every user and every user server's token may call the job service;
- the hub-managed services: the job service at ``/services/jobs/`` and the idle culler;
- for ``mode="local"``: local processes (one Unix account per user when run as root), the
  proxy it starts, the shared demo password or personal passwords.

It knows only the settings. ``deslab-hub up`` (:mod:`deslab_hub.cli`) fills them for one
machine; in the cluster :mod:`deslab_hub.kubernetes` fills them from the chart values and
merges what only the cluster needs (KubeSpawner, OAuth: :mod:`deslab_hub.cluster`), which
never sets a value set here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from traitlets import Bool, Dict, Enum, Int, List, Unicode, default
from traitlets.config import Config, Configurable

JOBS_SERVICE = "jobs"
# set on every process of a local platform (services, user servers, kernels) to its data
# directory, so that a later run can find what a killed run left behind
PLATFORM_ENV = "DESLAB_PLATFORM_DIR"
CULLER_SERVICE = "idle-culler"
JOBS_ACCESS_SCOPE = f"access:services!service={JOBS_SERVICE}"

# The default 'server' role (JupyterHub 4+) plus access to the job service: a user server's
# $JUPYTERHUB_API_TOKEN gets the subset of these that its owner holds.
SERVER_TOKEN_SCOPES = [
    "users:activity!user",
    "access:servers!server",
    "read:users:name!user",
    JOBS_ACCESS_SCOPE,
]


class PlatformSettings(Configurable):
    """Everything that varies between DESlab installations, declared once.

    Every trait is configurable (``c.PlatformSettings.<name>``); ``deslab-hub up``'s command
    line options are aliases of these traits, so its ``--help`` is their help.
    """

    mode = Enum(
        ["local", "kubernetes"],
        default_value="local",
        help="""Where user servers run: ``local`` processes on this machine (``deslab-hub up``)
        or ``kubernetes`` pods through KubeSpawner (the Helm chart).""",
    ).tag(config=True)
    data_dir = Unicode(
        ".deslab-data",
        help="""Directory for all state of a local platform: hub database, secrets, the shared
        password, user homes (users/<name>), the demo survey (demo/) and the job service's
        database; created if missing. Required for ``mode="local"``.""",
    ).tag(config=True)
    ip = Unicode(
        "127.0.0.1",
        help="""Address the public proxy listens on; 127.0.0.1 keeps the platform to this
        machine, 0.0.0.0 opens it to the network.""",
    ).tag(config=True)
    port = Int(8000, help="Port users open in the browser (http://IP:PORT/).").tag(config=True)
    base_url = Unicode("/", help="URL prefix of the whole platform behind the proxy.").tag(
        config=True
    )
    hub_ip = Unicode("127.0.0.1", help="Address the hub's own API listens on.").tag(config=True)
    hub_port = Int(
        8081, help="Port of the hub's own API (the proxy and services call it)."
    ).tag(config=True)
    proxy_api_port = Int(8001, help="Port of configurable-http-proxy's REST API.").tag(
        config=True
    )
    proxy_command = List(
        Unicode(),
        default_value=["configurable-http-proxy"],
        help="Command that starts configurable-http-proxy (Node.js).",
    ).tag(config=True)
    proxy_auth_token = Unicode(
        "", help="Token the hub uses with the proxy's REST API (generated once, kept secret)."
    ).tag(config=True)
    cookie_secret_file = Unicode(
        "", help="File with the hub's cookie secret (hex, mode 0600, generated once)."
    ).tag(config=True)
    db_url = Unicode(
        "", help="Hub database URL; default ``sqlite:///DATA_DIR/jupyterhub.sqlite`` locally."
    ).tag(config=True)
    user_accounts = Bool(
        help="""Give every hub user a Unix account of their own (local platform): created at
        their first login with a private home, their server, kernels, terminals and job
        workers run as it, and the hub's secrets and databases are out of its reach. Needs
        root; on exactly when the platform runs as root. Off is single-user mode: everything
        runs as the account that started the platform, and only that account's name may log
        in.""",
    ).tag(config=True)
    account_prefix = Unicode(
        "dl-",
        help="""Start of the name of every system account the local platform creates (a
        letter, up to 6 letters or digits, and '-'): hub user alice runs as dl-alice; other
        names get a slug and a hash (deslab_hub.accounts.account_name).""",
    ).tag(config=True)
    login = Enum(
        ["shared", "personal"],
        default_value="shared",
        help="""How users log in to the local platform. shared: the demo's one shared password
        (DATA_DIR/password) with any user name, for trying DESlab on one's own machine.
        personal: each user has a password of their own, stored hashed (bcrypt,
        jupyterhub-firstuseauthenticator): a new user name sets it at its first login, the
        admin's is generated at the first start (DATA_DIR/admin-password), and `deslab-hub
        set-password` sets anyone's.""",
    ).tag(config=True)
    admin = Unicode(
        "",
        help="""User name with admin rights on the local platform (the admin panel: start, stop
        and delete users' servers and users). With --login personal its first password is
        generated into DATA_DIR/admin-password.""",
    ).tag(config=True)
    shared_password_on_network = Bool(
        False,
        help="""Allow --login shared on an --ip other than loopback. Off, deslab-hub up refuses
        to listen beyond this machine with the shared demo password: anyone who learns the
        one password could log in as any user name.""",
    ).tag(config=True)
    users = List(
        Unicode(),
        help="""User names allowed to log in (comma-separated on the command line). Empty: any
        user name JupyterHub accepts (anyone with the shared password, locally; per the OAuth
        settings in the cluster).""",
    ).tag(config=True)
    admin_users = List(
        Unicode(), help="User names with admin rights in the hub (cluster)."
    ).tag(config=True)
    password_file = Unicode(
        "", help="File holding the shared password of the local platform (mode 0600)."
    ).tag(config=True)
    idle_timeout = Int(
        3600,
        help="""Seconds of inactivity after which jupyterhub-idle-culler stops a user's
        server. 0 disables culling.""",
    ).tag(config=True)
    cull_every = Int(
        0,
        help="Seconds between idle-culler passes; 0 picks min(600, max(5, idle_timeout // 2)).",
    ).tag(config=True)
    cull_max_age = Int(
        0, help="Seconds after which the idle culler stops a server even if active (0: never)."
    ).tag(config=True)
    culler_api_token = Unicode(
        "", help="API token of the idle-culler service (kept secret)."
    ).tag(config=True)
    jobs_host = Unicode(
        "127.0.0.1", help="Host the hub reaches the job service at (its Service in the cluster)."
    ).tag(config=True)
    jobs_port = Int(8090, help="Port the job service listens on (behind the proxy).").tag(
        config=True
    )
    jobs_api_token = Unicode("", help="API token of the job service (kept secret).").tag(
        config=True
    )
    jobs_environment = Dict(
        help="""Extra environment of the job service (``DESLAB_JOBS_*`` settings: database URL,
        runner, limits; the workers' ``DESLAB_CATALOG``/``DESLAB_TILES``).""",
    ).tag(config=True)
    catalog_url = Unicode(
        "",
        help="""Catalog URL (``DESLAB_CATALOG``) for user servers and job workers. Empty on the
        local platform: the demo survey, generated into DATA_DIR/demo on first start.""",
    ).tag(config=True)
    tiles_dir = Unicode(
        "",
        help="""Tile directory (``DESLAB_TILES``) for user servers and job workers. Empty on the
        local platform: DATA_DIR/demo/tiles.""",
    ).tag(config=True)
    demo_rows = Int(
        None, allow_none=True, help="Rows of a newly generated demo survey (default: its own)."
    ).tag(config=True)
    demo_tiles = Int(
        None, allow_none=True, help="Tiles of a newly generated demo survey (default: its own)."
    ).tag(config=True)
    user_home_template = Unicode(
        "",
        help="""Home directory of each user, ``{username}`` (hub name) and ``{account}``
        (system account name) expanded; default ``DATA_DIR/users/{account}`` locally. Job
        results land in ``<home>/jobs/<id>/``.""",
    ).tag(config=True)
    python = Unicode(sys.executable, help="Python that runs the hub-managed services.").tag(
        config=True
    )
    spawn_timeout = Int(
        180, help="Seconds a user server may take to start before the spawn counts as failed."
    ).tag(config=True)
    debug = Bool(False, help="Log at debug level (hub, proxy, spawner).").tag(config=True)

    @property
    def public_host(self) -> str:
        """Host name to reach the proxy at from this machine."""
        return "127.0.0.1" if self.ip in ("", "0.0.0.0", "::") else self.ip

    @property
    def public_url(self) -> str:
        """The URL users open."""
        return f"http://{self.public_host}:{self.port}{self.base_url}"

    @default("user_accounts")
    def _default_user_accounts(self) -> bool:
        return os.geteuid() == 0

    def home_template(self) -> str:
        """Template of a user's home: ``{username}`` (hub name) and ``{account}`` (system
        account, :func:`deslab_hub.accounts.account_name`) are expanded."""
        if self.user_home_template:
            return self.user_home_template
        return str(Path(self.data_dir) / "users" / "{account}")


def build_config(settings: PlatformSettings) -> Config:
    """JupyterHub configuration for ``settings``.

    Parameters
    ----------
    settings
        The platform's settings (``mode`` chooses local processes or Kubernetes).

    Returns
    -------
    traitlets.config.Config
        Ready to pass to ``JupyterHub(config=...)``; more config files may be loaded on top.

    Raises
    ------
    ValueError
        When a required setting is missing (``data_dir`` for the local mode).
    """
    if settings.mode == "local" and not settings.data_dir:
        raise ValueError("the local platform needs a data directory (data_dir)")
    c = Config()
    _configure_hub(c, settings)
    _configure_roles_and_services(c, settings)
    if settings.mode == "local":
        _configure_local(c, settings)
    return c


def _configure_hub(c: Config, s: PlatformSettings) -> None:
    c.JupyterHub.base_url = s.base_url
    c.JupyterHub.bind_url = f"http://{s.ip}:{s.port}{s.base_url}"
    c.JupyterHub.hub_ip = s.hub_ip
    c.JupyterHub.hub_port = s.hub_port
    # local user servers stop with the hub; pods outlive a hub restart
    c.JupyterHub.cleanup_servers = s.mode == "local"
    c.JupyterHub.cleanup_proxy = True
    c.JupyterHub.upgrade_db = True
    c.JupyterHub.log_level = "DEBUG" if s.debug else "INFO"
    if s.db_url:
        c.JupyterHub.db_url = s.db_url
    if s.cookie_secret_file:
        c.JupyterHub.cookie_secret_file = s.cookie_secret_file
    if s.proxy_auth_token:
        c.ConfigurableHTTPProxy.auth_token = s.proxy_auth_token
    c.ConfigurableHTTPProxy.debug = s.debug
    c.Spawner.default_url = "/lab"
    c.Spawner.start_timeout = s.spawn_timeout
    c.Spawner.http_timeout = s.spawn_timeout
    c.Spawner.server_token_scopes = list(SERVER_TOKEN_SCOPES)
    if s.users:
        c.Authenticator.allowed_users = set(s.users)
    if s.admin_users:
        c.Authenticator.admin_users = set(s.admin_users)


def _configure_roles_and_services(c: Config, s: PlatformSettings) -> None:
    services: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = [
        {
            "name": "user",
            "description": "Everything about oneself, and the job service",
            "scopes": ["self", JOBS_ACCESS_SCOPE],
        },
        {
            "name": "server",
            "description": "A user server's token: activity, its own server, the job service",
            "scopes": list(SERVER_TOKEN_SCOPES),
        },
        {
            "name": "deslab-jobs",
            "description": "The job service: who users are and whether they are admins",
            "scopes": ["list:users", "read:users"],
            "services": [JOBS_SERVICE],
        },
    ]
    jobs: dict[str, Any] = {
        "name": JOBS_SERVICE,
        "url": f"http://{s.jobs_host}:{s.jobs_port}",
        "display": False,
        "oauth_no_confirm": True,
    }
    if s.jobs_api_token:
        jobs["api_token"] = s.jobs_api_token
    if s.mode == "local":  # in the cluster: its own Deployment
        jobs["command"] = [s.python, "-m", "deslab_hub.jobs"]
        jobs["environment"] = _jobs_environment(s)
    services.append(jobs)

    if s.idle_timeout > 0:
        every = s.cull_every or min(600, max(5, s.idle_timeout // 2))
        culler: dict[str, Any] = {
            "name": CULLER_SERVICE,
            "command": [
                s.python,
                "-m",
                "jupyterhub_idle_culler",
                f"--timeout={s.idle_timeout}",
                f"--cull-every={every}",
            ] + ([f"--max-age={s.cull_max_age}"] if s.cull_max_age else []),
        }
        if s.culler_api_token:
            culler["api_token"] = s.culler_api_token
        if s.mode == "local":
            culler["environment"] = {PLATFORM_ENV: s.data_dir}
        services.append(culler)
        roles.append(
            {
                "name": "idle-culler",
                "description": "Find and stop idle user servers",
                "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
                "services": [CULLER_SERVICE],
            }
        )
    c.JupyterHub.services = services
    c.JupyterHub.load_roles = roles


def _jobs_environment(s: PlatformSettings) -> dict[str, str]:
    """The environment of the hub-managed (local) job service.

    Names and meanings: :class:`deslab_hub.jobs.settings.JobServiceSettings`.
    """
    env = {
        "DESLAB_JOBS_HOME_TEMPLATE": s.home_template(),
        PLATFORM_ENV: s.data_dir,
        "DESLAB_JOBS_DATA_DIR": s.data_dir,
        "DESLAB_JOBS_DB_URL": f"sqlite:///{Path(s.data_dir) / 'jobs.sqlite'}",
        "DESLAB_JOBS_PUBLIC_URL": s.public_url,
        "DESLAB_JOBS_RUNNER": "local",
        "DESLAB_JOBS_PYTHON": s.python,
        "DESLAB_JOBS_ACCOUNT_PREFIX": s.account_prefix,
        "DESLAB_JOBS_RUN_AS_OWNER": "1" if s.user_accounts else "0",
    }
    if s.catalog_url:
        env["DESLAB_CATALOG"] = s.catalog_url
    if s.tiles_dir:
        env["DESLAB_TILES"] = s.tiles_dir
    env.update({k: str(v) for k, v in s.jobs_environment.items()})
    return env


def _configure_local(c: Config, s: PlatformSettings) -> None:
    data = Path(s.data_dir)
    if not s.db_url:
        c.JupyterHub.db_url = f"sqlite:///{data / 'jupyterhub.sqlite'}"
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.proxy_api_port}"
    c.ConfigurableHTTPProxy.command = list(s.proxy_command)
    c.ConfigurableHTTPProxy.pid_file = str(data / "jupyterhub-proxy.pid")
    c.JupyterHub.spawner_class = "deslab_hub.spawner.LocalDeslabSpawner"
    c.LocalDeslabSpawner.home_dir_template = s.home_template()
    c.LocalDeslabSpawner.catalog_url = s.catalog_url
    c.LocalDeslabSpawner.tiles_dir = s.tiles_dir
    c.LocalDeslabSpawner.jobs_url = f"{s.public_url}services/{JOBS_SERVICE}/"
    c.LocalDeslabSpawner.venv_bin = str(Path(s.python).parent)
    c.LocalDeslabSpawner.environment = {PLATFORM_ENV: s.data_dir}
    c.LocalDeslabSpawner.user_accounts = s.user_accounts
    c.LocalDeslabSpawner.account_prefix = s.account_prefix
    # a server is stopped with SIGTERM (SIGINT makes Jupyter Server ask for confirmation on a
    # terminal) and gets 4 s before SIGKILL, so that stopping the platform with servers
    # running stays within seconds; no server reads the terminal deslab-hub runs in
    c.LocalDeslabSpawner.term_timeout = 4
    c.LocalDeslabSpawner.kill_timeout = 1
    c.LocalDeslabSpawner.popen_kwargs = {"stdin": subprocess.DEVNULL}
    if s.admin:
        c.Authenticator.admin_users = {s.admin}
    if not s.user_accounts:
        # single-user mode: one account, so one person
        c.Authenticator.allowed_users = set(s.users) or {single_user_name()}
        c.Authenticator.allow_all = False
    else:
        # anyone who can log in, unless --users names who may
        c.Authenticator.allow_all = not s.users
    if s.login == "personal":
        c.JupyterHub.authenticator_class = "deslab_hub.auth.PersonalPasswordAuthenticator"
        c.PersonalPasswordAuthenticator.dbm_path = str(data / "secrets" / "passwords.dbm")
        c.PersonalPasswordAuthenticator.min_password_length = MIN_PASSWORD_LENGTH
        if s.admin:
            c.PersonalPasswordAuthenticator.admin_password_file = str(data / "admin-password")
    else:
        c.JupyterHub.authenticator_class = "deslab_hub.auth.LocalPasswordAuthenticator"
        if s.password_file:
            c.LocalPasswordAuthenticator.password_file = s.password_file
    c.JupyterHub.template_vars = {"announcement_login": login_announcement(s)}


# personal passwords: the shortest accepted
MIN_PASSWORD_LENGTH = 8


def single_user_name() -> str:
    """The hub user name of single-user mode: the platform's own account, lower-cased."""
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name.lower()


def login_announcement(s: PlatformSettings) -> str:
    """What the login page says about this platform's logins and accounts."""
    if s.login == "personal":
        text = (
            "DESlab: log in with your user name and your own password. A new user name "
            f"sets its password at its first login (at least {MIN_PASSWORD_LENGTH} "
            "characters)."
        )
    else:
        text = (
            "DESlab demo: log in with the shared demo password printed by "
            "<code>deslab-hub up</code> (also in the data directory's <code>password</code> "
            "file). Anyone with it can log in under any user name."
        )
    if not s.user_accounts:
        text += (
            f" Single-user mode: only <code>{single_user_name()}</code> may log in; "
            "everything runs as that Unix account."
        )
    return text

