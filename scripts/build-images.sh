#!/usr/bin/env bash
# Build the DESlab container images (`make images`): images/hub and images/notebook.
#
#   scripts/build-images.sh [hub] [notebook]      (default: both)
#
# Environment:
#   ENGINE         docker or podman (default: whichever is installed, docker first)
#   IMAGE_PREFIX   repository prefix (default deslab/ -> deslab/hub, deslab/notebook)
#   TAG            image tag (default: the deslab version, 0.1.0)
#   BASE           base image (default docker.io/library/debian:bookworm-slim)
#   PIP_CERT_FILE  a host CA bundle that pip inside the build must trust (podman: mounted)
#   BUILD_ARGS     extra arguments for the build command (e.g. --isolation=chroot)
#
# The build context of each image is staged in a temporary directory: the Containerfile,
# the pinned requirements (images/*/requirements.txt, from images/pin_requirements.py),
# wheels of our own distributions built offline from this tree, and the kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=$ROOT/.venv/bin/python

say() { printf '\033[1m[images]\033[0m %s\n' "$*"; }
die() { echo "build-images: $*" >&2; exit 1; }

ENGINE=${ENGINE:-}
if [ -z "$ENGINE" ]; then
  if command -v docker >/dev/null 2>&1; then ENGINE=docker
  elif command -v podman >/dev/null 2>&1; then ENGINE=podman
  else die "neither docker nor podman is installed; install one (apt-get install podman)"; fi
fi
command -v "$ENGINE" >/dev/null 2>&1 || die "ENGINE=$ENGINE is not installed"
IMAGE_PREFIX=${IMAGE_PREFIX:-deslab/}
TAG=${TAG:-0.1.0}
BASE=${BASE:-docker.io/library/debian:bookworm-slim}
IMAGES=("$@")
[ ${#IMAGES[@]} -gt 0 ] || IMAGES=(hub notebook)

[ -x "$PY" ] || bash scripts/setup.sh
[ -d extensions/deslab/deslab/labextension ] || bash scripts/setup.sh

# wheel of a source directory, built offline from a clean copy (the tree stays untouched)
build_wheel() {
  local src=$1 out=$2 tmp
  tmp=$(mktemp -d)
  tar -C "$src" --exclude=node_modules --exclude=lib --exclude=src --exclude='*.egg-info' \
      --exclude=__pycache__ --exclude=build -cf - . | tar -C "$tmp" -xf -
  (cd "$tmp" && "$PY" -c "import sys; from setuptools import build_meta as b; \
print(b.build_wheel(sys.argv[1]))" "$out") >/dev/null
  rm -rf "$tmp"
}

for image in "${IMAGES[@]}"; do
  [ -f "images/$image/Containerfile" ] || die "unknown image '$image'; choose hub or notebook"
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' EXIT
  cp "images/$image/Containerfile" "images/$image/requirements.txt" "$ctx/"
  mkdir -p "$ctx/wheels"
  if [ "$image" = hub ]; then
    build_wheel hub "$ctx/wheels"
    cp images/hub/jupyterhub_config.py "$ctx/"
  else
    build_wheel extensions/deslab "$ctx/wheels"
    mkdir -p "$ctx/kernels" && cp -r kernels/. "$ctx/kernels/"
  fi
  args=(build -f "$ctx/Containerfile" -t "${IMAGE_PREFIX}${image}:${TAG}" --build-arg "BASE=$BASE")
  if [ -n "${PIP_CERT_FILE:-}" ]; then
    [ -f "$PIP_CERT_FILE" ] || die "PIP_CERT_FILE=$PIP_CERT_FILE does not exist"
    [ "$ENGINE" = podman ] || die "PIP_CERT_FILE needs podman (docker build cannot mount files)"
    args+=(--volume "$PIP_CERT_FILE:/run/host-ca.crt:ro" --build-arg PIP_CERT=/run/host-ca.crt)
  fi
  # shellcheck disable=SC2206
  args+=(${BUILD_ARGS:-})
  say "building ${IMAGE_PREFIX}${image}:${TAG} with $ENGINE"
  "$ENGINE" "${args[@]}" "$ctx"
  rm -rf "$ctx"
  trap - EXIT
done
say "done: ${IMAGES[*]}"
