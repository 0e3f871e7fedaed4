"""Rules written on both sides of the hub/worker boundary (the packages may not import each
other) must give the same answers; these tests fail when one copy drifts."""

from __future__ import annotations

import pytest
from deslab.jobs import limits
from deslab_hub.jobs import quotas


@pytest.mark.parametrize("n", [0, 1, 999, 1000, 20_000, 8_000_000, 5e9, 1.2e12, 3e15, -2048])
def test_worker_and_service_write_sizes_alike(n: float) -> None:
    # the worker's quota error and the service's 429 name the same quota in the same words
    assert limits.human_bytes(n) == quotas.human_bytes(n)
