//go:build tools

// Package kwoktools pins kwok (fake kubelets for the test cluster) in its own module, so its
// k8s.io dependencies never fight the control plane's (see ../control-plane).
package kwoktools

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
