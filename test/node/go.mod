// The real node's small Go programs, standard library only: node-helper signs
// the node's certificates with the control plane's CA, and pause is the
// sandbox ("pause") container's process, built static for an image FROM scratch.
module github.com/opencode-operator/opencode-operator/test/node

go 1.26.0
