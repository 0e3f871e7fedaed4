"""The examples in docstrings run: every ``>>>`` in the deslab and deslab_hub packages."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("deslab", "deslab_hub")
# modules that only make sense inside another program (Alembic's migration environment)
NOT_IMPORTABLE = ("deslab_hub.jobs.migrations",)


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        pkg = importlib.import_module(package)
        names.append(package)
        for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}."):
            if not info.name.startswith(NOT_IMPORTABLE):
                names.append(info.name)
    return sorted(names)


def _with_examples() -> list[str]:
    finder = doctest.DocTestFinder()
    out = []
    for name in _modules():
        module = importlib.import_module(name)
        if any(t.examples for t in finder.find(module)):
            out.append(name)
    return out


MODULES = _with_examples()


def test_there_are_examples_to_run():
    assert len(MODULES) >= 10, MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, demo_env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder().find(module):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
