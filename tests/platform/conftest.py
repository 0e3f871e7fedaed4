"""Platform tests start real `deslab-hub up` processes; helpers are in platform_helpers.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.platform.platform_helpers import make_reachable

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def checkout_reachable_by_accounts() -> None:
    """As root, the platform runs each user as their own account, and those accounts run the
    checkout's venv and read its sources. A checkout below a private directory (a clone in
    /root, say) is made enterable (o+x, not listable) so the tests run wherever CI clones;
    an operator is told instead, by `deslab-hub up` itself (tested in test_cli_bad_input)."""
    if os.geteuid() != 0:
        return
    make_reachable(REPO)
    make_reachable(Path(os.path.realpath(sys.executable)).parent)
