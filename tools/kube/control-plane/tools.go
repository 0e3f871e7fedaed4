//go:build tools

// Package controlplanetools pins the test cluster's control plane: kube-apiserver,
// kube-controller-manager and kube-scheduler from k8s.io/kubernetes at one release, with
// every staging module replaced by its published version (upstream's go.mod points them at
// ./staging, which no proxy serves), and etcd (go.etcd.io/etcd/server/v3).
package controlplanetools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"

	_ "go.etcd.io/etcd/server/v3"
)
