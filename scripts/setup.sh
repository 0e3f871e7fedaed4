#!/usr/bin/env bash
# Set up everything DESlab needs on a fresh Debian machine; quick when nothing changed.
#   Debian packages -> .venv (uv) with hub/ and extensions/deslab/ editable -> npm packages
#   -> JupyterLab extension build -> kernelspecs.
# Each step keeps a stamp (a hash of its inputs) and is skipped when its inputs are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/.venv
STAMPS=$ROOT/.setup-stamp
mkdir -p "$STAMPS"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }
fresh() { [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }
stamp() { echo "$2" > "$STAMPS/$1"; }

# --- Debian packages -------------------------------------------------------------------
# chromium: browser tests; postgresql: job-store tests; fitsverify: export checks;
# tmux: terminal tests; podman/buildah/debootstrap: image builds; nodejs/npm: proxy + lab build.
APT_PACKAGES=(chromium postgresql fitsverify tmux podman buildah debootstrap uidmap fuse-overlayfs)
command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
    echo "setup: Debian packages missing (${missing[*]}); install them as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- Python virtual environment ---------------------------------------------------------
# Built on Debian's Python when it is 3.11+: the per-user accounts of the local platform run
# the venv's interpreter, and one below a private home (pyenv's in /root) is out of their reach.
base_python() {
  for py in /usr/bin/python3 python3; do
    if "$py" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$py"; return
    fi
  done
  echo python3
}
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@" 2>/dev/null; }
if [ -x "$VENV/bin/python" ] && [ "$(id -u)" = 0 ] && as_nobody test -x "$VENV/bin" \
    && ! as_nobody test -x "$(readlink -f "$VENV/bin/python")"; then
  say "rebuilding $VENV: user accounts cannot run $(readlink -f "$VENV/bin/python")"
  rm -rf "$VENV" "${STAMPS:?}"/*
fi
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"
  "$(base_python)" -m venv "$VENV"
fi
if [ ! -x "$VENV/bin/uv" ]; then
  "$VENV/bin/python" -m pip --version >/dev/null 2>&1 || "$VENV/bin/python" -m ensurepip >/dev/null
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check uv
fi
py_hash=$(hash_of hub/pyproject.toml extensions/deslab/pyproject.toml requirements-dev.txt scripts/setup.sh)
if ! fresh python "$py_hash"; then
  say "installing Python packages into $VENV"
  "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" \
    -e hub -e extensions/deslab -r requirements-dev.txt
  # The reference EIF (package eif) builds with Cython < 3 and needs numpy at build time.
  "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" "cython<3" setuptools wheel
  "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" --no-build-isolation "eif==2.0.2"
  # User accounts of the local platform cannot write the venv, so Python could not cache the
  # bytecode it compiles: compile it once here (a user server's imports took 42-54 s instead
  # of 9-11 s on a loaded 2-core machine without it).
  "$VENV/bin/python" -m compileall -q -j 0 "$VENV/lib" >/dev/null 2>&1 || true
  stamp python "$py_hash"
fi

# --- npm packages (configurable-http-proxy) ----------------------------------------------
npm_hash=$(hash_of package.json)
if ! fresh npm "$npm_hash" || [ ! -x node_modules/.bin/configurable-http-proxy ]; then
  say "installing npm packages"
  npm install --no-audit --no-fund --loglevel=error >/dev/null
  stamp npm "$npm_hash"
fi
# The venv's bin is on PATH for the hub, so the proxy is found there.
ln -sf "$ROOT/node_modules/.bin/configurable-http-proxy" "$VENV/bin/configurable-http-proxy"

# --- JupyterLab extension ------------------------------------------------------------------
if [ -f extensions/deslab/package.json ]; then
  ext_inputs=(package.json package-lock.json tsconfig.json build-labextension.sh src style schema)
  ext_hash=$( (cd extensions/deslab && for p in "${ext_inputs[@]}"; do [ -e "$p" ] || continue; find "$p" -type f; done | sort | xargs cat) | sha256sum | cut -c1-16)
  if ! fresh labextension "$ext_hash" || [ ! -d extensions/deslab/deslab/labextension ] \
     || [ ! -e "$VENV/share/jupyter/labextensions/deslab" ]; then
    say "building the JupyterLab extension"
    (cd extensions/deslab && PATH="$VENV/bin:$PATH" bash build-labextension.sh)
    stamp labextension "$ext_hash"
  fi


fi

# --- JupyterLab settings: no news feed or update check (nothing is fetched at run time) ----
mkdir -p "$VENV/share/jupyter/lab/settings"
cp extensions/deslab/deslab/data/jupyterlab-overrides.json \
  "$VENV/share/jupyter/lab/settings/overrides.json"

# --- Kernelspecs -------------------------------------------------------------------------
for k in kernels/*/; do
  [ -f "$k/kernel.json" ] || continue
  "$VENV/bin/jupyter" kernelspec install --sys-prefix --replace "$k" >/dev/null
done
say "ready"
