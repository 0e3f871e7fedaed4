#!/usr/bin/env bash
# Build the DESlab container images (`make images`): images/hub and images/notebook.
#
#   scripts/build-images.sh [hub] [notebook]      (default: both)
#   make images REGISTRY=registry.example.org/deslab PUSH=1
#
# Environment:
#   REGISTRY       where the images go: REGISTRY/hub and REGISTRY/notebook (default: deslab,
#                  local names only; DESlab publishes no images, so an install needs yours)
#   TAG            image tag (default: <chart appVersion>-<short git sha>, as chartpress tags,
#                  with -dirty when the tree has uncommitted changes)
#   PUSH           1: push the images after building and print their digests
#   ENGINE         docker or podman (default: whichever is installed, docker first)
#   IMAGE_PREFIX   full repository prefix (default: REGISTRY/)
#   BASE           base image (default docker.io/library/debian:bookworm-slim)
#   PIP_CERT_FILE  a host CA bundle that pip inside the build must trust (podman: mounted)
#   BUILD_ARGS     extra arguments for the build command (e.g. --isolation=chroot)
#
# At the end it prints the --set lines that install the chart with these images.
# The build context of each image is staged in a temporary directory: the Containerfile, the
# shared Python environment setup (images/venv.sh),
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
REGISTRY=${REGISTRY:-deslab}
IMAGE_PREFIX=${IMAGE_PREFIX:-${REGISTRY%/}/}
if [ -z "${TAG:-}" ]; then
  # The chart's appVersion (the tag its images default to) plus the commit, so every build
  # of a different tree gets a different tag.
  version=$(awk -F'"' '/^appVersion:/ {print $2}' helm-chart/deslab/Chart.yaml)
  [ -n "$version" ] || die "helm-chart/deslab/Chart.yaml has no quoted appVersion"
  sha=$(git rev-parse --short=7 HEAD 2>/dev/null || echo nogit)
  TAG="$version-$sha"
  [ -z "$(git status --porcelain 2>/dev/null)" ] || TAG="$TAG-dirty"
fi
PUSH=${PUSH:-0}
BASE=${BASE:-docker.io/library/debian:bookworm-slim}
IMAGES=("$@")
declare -A digests=()
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
  cp "images/$image/Containerfile" "images/$image/requirements.txt" images/venv.sh "$ctx/"
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
  if [ "$PUSH" = 1 ]; then
    ref="${IMAGE_PREFIX}${image}:${TAG}"
    say "pushing $ref"
    if [ "$ENGINE" = podman ]; then
      digestfile=$(mktemp)
      podman push --digestfile "$digestfile" "$ref"
      digests[$image]=$(cat "$digestfile")
      rm -f "$digestfile"
    else
      docker push "$ref"
      digests[$image]=$(docker image inspect --format '{{index .RepoDigests 0}}' "$ref" | sed 's/.*@//')
    fi
  fi
done
say "done: ${IMAGES[*]}"

# The chart values for these images (hub image: hub and job service; notebook image: user
# servers, job workers and Dask).
echo "Install or upgrade the chart with:"
for image in "${IMAGES[@]}"; do
  key=$image; [ "$image" = notebook ] && key=singleuser
  echo "  --set $key.image.repository=${IMAGE_PREFIX}${image} --set $key.image.tag=$TAG${digests[$image]:+ --set $key.image.digest=${digests[$image]}}"
done
[ "$PUSH" = 1 ] || echo "(after pushing them: make images REGISTRY=<registry>/deslab PUSH=1)"
