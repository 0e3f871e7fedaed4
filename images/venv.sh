#!/bin/sh
# The Python environment both DESlab images run from (staged into each build context by
# scripts/build-images.sh; run inside the build):
#
#   venv.sh venv                  Debian's python3 (installed when the base lacks it) and a
#                                 virtual environment at $VIRTUAL_ENV
#   venv.sh requirements FILE     the pinned requirements (exactly the versions the tests ran
#                                 against), then `pip check`
#   venv.sh wheels GLOB           our own wheels, offline
#
# pip trusts $PIP_CERT when the build passes a CA bundle (podman mounts it).
# Debian bookworm's Python is 3.11.2 and a few pins declare Requires-Python >=3.11.5 without
# needing it (soupsieve), hence --ignore-requires-python.
set -eu
if [ -n "${PIP_CERT:-}" ]; then export PIP_CERT; else unset PIP_CERT; fi

case "${1:-}" in
  venv)
    if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
      apt-get update -q
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        python3 python3-venv ca-certificates
      rm -rf /var/lib/apt/lists/*
    fi
    python3 -m venv "$VIRTUAL_ENV"
    ;;
  requirements)
    pip install -q --no-deps --ignore-requires-python -r "$2"
    pip check
    ;;
  wheels)
    shift
    pip install -q --no-deps --no-index "$@"
    ;;
  *)
    echo "usage: venv.sh venv | requirements FILE | wheels WHEEL..." >&2
    exit 2
    ;;
esac
