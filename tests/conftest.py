"""Fixtures shared by every test area. Area-specific fixtures live in tests/<area>/conftest.py."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"


@pytest.fixture(scope="session", autouse=True)
def checkout_reachable_by_accounts() -> None:
    """As root, the local platform runs each user as their own account, and those accounts
    run the checkout's venv and read its sources. A checkout below a private directory (a
    clone in /root, say) is made enterable (o+x, not listable) so the platform and browser
    tests run wherever CI clones; an operator is told instead, by `deslab-hub up` itself
    (tested in tests/platform/test_cli_bad_input.py)."""
    if os.geteuid() != 0:
        return
    from tests.platform.platform_helpers import make_reachable

    make_reachable(REPO)
    make_reachable(Path(os.path.realpath(sys.executable)).parent)


@pytest.fixture(scope="session")
def demo_survey(tmp_path_factory) -> Path:
    """A demo survey of the default size, generated once per test session."""
    from deslab.demo import generate

    out = tmp_path_factory.mktemp("demo-survey")
    generate(out)
    return out


@pytest.fixture
def demo_env(demo_survey: Path, monkeypatch, tmp_path) -> Path:
    """Point deslab at the demo survey the way the spawner does, with a private home."""
    monkeypatch.setenv("DESLAB_CATALOG", f"duckdb:///{demo_survey / 'catalog.duckdb'}")
    monkeypatch.setenv("DESLAB_TILES", str(demo_survey / "tiles"))
    monkeypatch.setenv("DESLAB_HOME", str(tmp_path / "home"))
    return demo_survey


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unused_port() -> int:
    return free_port()


def venv_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess that runs the venv's commands."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
    env.update(extra)
    return env
