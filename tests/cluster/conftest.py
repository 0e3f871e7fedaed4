"""Fixtures of the cluster tests: a live Kubernetes API (see live_api.py).

Tests that use them carry ``@pytest.mark.cluster``. The cluster starts once per session (the
first test that asks for it waits for it) and every process stops at the end of the session.
Nothing is skipped: without the binaries the fixture fails with the command that builds them
(``make test`` builds them first).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import kubernetes.client
import pytest

from tests.cluster.live_api import ClusterError, LiveCluster, start_cluster


@pytest.fixture(scope="session")
def kube_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCluster]:
    """The running test cluster (etcd, kube-apiserver, controller-manager, scheduler, kwok)."""
    workdir = tmp_path_factory.mktemp("kube")
    started = time.monotonic()
    try:
        cluster = start_cluster(workdir)
    except ClusterError as exc:
        pytest.fail(f"the test Kubernetes cluster did not start: {exc}", pytrace=False)
    print(f"\n[kube] cluster ready in {time.monotonic() - started:.1f} s at {cluster.server}"
          f" (logs in {workdir})")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def kube_admin(kube_cluster: LiveCluster) -> kubernetes.client.ApiClient:
    """An API client of a ``system:masters`` user."""
    return kube_cluster.admin_client()


@pytest.fixture(scope="session")
def kubeconfig(kube_cluster: LiveCluster) -> Path:
    """Path of a kubeconfig file for the admin user (for Helm, KubeSpawner, ...)."""
    return kube_cluster.kubeconfig


@pytest.fixture
def kube_namespace(kube_cluster: LiveCluster) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards (without waiting)."""
    name = kube_cluster.create_namespace("t")
    yield name
    kube_cluster.delete_namespace(name)
