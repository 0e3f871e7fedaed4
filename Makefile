# DESlab: `make up` runs the platform locally, `make test` runs the whole test suite.
# Both run `make setup` first, which installs everything they need (idempotent).

PORT ?= 8000
DATA_DIR ?= $(CURDIR)/.deslab-data
PYTEST_ARGS ?=
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python

.PHONY: setup up test kube lint bench images clean help

help:
	@echo "make up      set up and run DESlab locally on http://127.0.0.1:$(PORT)"
	@echo "make test    set up and run the whole test suite"
	@echo "make setup   only set up (.venv, npm packages, lab extension, Debian packages)"
	@echo "make kube    build the test cluster's binaries (etcd, kube-*, kwok; make test does it)"
	@echo "make lint    ruff over the Python code"
	@echo "make bench   run the benchmarks in tests/benchmarks"
	@echo "make images  build the hub and notebook images (REGISTRY=... PUSH=1 pushes them)"

setup:
	@bash scripts/setup.sh

up: setup
	$(VENV)/bin/deslab-hub up --port $(PORT) --data-dir $(DATA_DIR)

# The cluster tests' Kubernetes binaries: built once into .cache/kube/bin, only for tests.
kube:
	@bash scripts/kube-build.sh

test: setup kube
	$(VENV)/bin/ruff check hub extensions/deslab tests
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check hub extensions/deslab tests

bench: setup
	$(VENV)/bin/uv pip install -q --python $(PY) -r requirements-bench.txt
	@for b in tests/benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# make images [REGISTRY=registry.example.org/deslab] [TAG=...] [PUSH=1]
images:
	@REGISTRY="$(REGISTRY)" TAG="$(TAG)" PUSH="$(PUSH)" bash scripts/build-images.sh

clean:
	rm -rf $(VENV) node_modules .setup-stamp extensions/deslab/node_modules extensions/deslab/lib extensions/deslab/deslab/labextension
