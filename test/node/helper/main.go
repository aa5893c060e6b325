// Command node-helper signs a certificate for the real node with the test
// control plane's CA (ca.crt and ca.key, as controlplane-helper pki writes them):
//
//	node-helper cert --ca-dir DIR --out DIR/NAME --cn CN [--org O] [--server --ip IP]
//
// It writes NAME.crt and NAME.key: a client certificate (the kubelet's
// system:node:<name> in system:nodes, kube-proxy, kube-scheduler) or, with
// --server, a serving certificate for the given IP addresses.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "cert" {
		fmt.Fprintln(os.Stderr, "usage: node-helper cert --ca-dir DIR --out PATH --cn CN [--org O] [--server --ip IP,...]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("cert", flag.ExitOnError)
	caDir := fs.String("ca-dir", "", "directory holding ca.crt and ca.key (required)")
	out := fs.String("out", "", "path prefix to write .crt and .key to (required)")
	cn := fs.String("cn", "", "subject common name (required)")
	org := fs.String("org", "", "subject organization (a Kubernetes group)")
	server := fs.Bool("server", false, "a serving certificate rather than a client one")
	ips := fs.String("ip", "", "comma-separated IP addresses for a serving certificate")
	_ = fs.Parse(os.Args[2:])
	if *caDir == "" || *out == "" || *cn == "" {
		log.Fatal("--ca-dir, --out and --cn are required")
	}

	caCert, err := x509.ParseCertificate(readPEM(filepath.Join(*caDir, "ca.crt"), "CERTIFICATE"))
	must(err)
	caKey, err := x509.ParseECPrivateKey(readPEM(filepath.Join(*caDir, "ca.key"), "EC PRIVATE KEY"))
	must(err)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	must(err)
	subject := pkix.Name{CommonName: *cn}
	if *org != "" {
		subject.Organization = []string{*org}
	}
	usage := x509.ExtKeyUsageClientAuth
	if *server {
		usage = x509.ExtKeyUsageServerAuth
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      subject,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     caCert.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	for _, s := range strings.Split(*ips, ",") {
		if s = strings.TrimSpace(s); s != "" {
			ip := net.ParseIP(s)
			if ip == nil {
				log.Fatalf("--ip: %q is not an IP address", s)
			}
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	must(err)
	kb, err := x509.MarshalECPrivateKey(key)
	must(err)
	writePEM(*out+".crt", "CERTIFICATE", der)
	writePEM(*out+".key", "EC PRIVATE KEY", kb)
}

func readPEM(path, kind string) []byte {
	b, err := os.ReadFile(path)
	must(err)
	block, _ := pem.Decode(b)
	if block == nil || block.Type != kind {
		log.Fatalf("%s: no %s PEM block", path, kind)
	}
	return block.Bytes
}

func writePEM(path, kind string, der []byte) {
	must(os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600))
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
