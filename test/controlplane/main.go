// Command controlplane-helper is the small Go side of the test control plane:
//
//	controlplane-helper etcd --data-dir DIR --listen-client-url URL --listen-peer-url URL
//	controlplane-helper pki --dir DIR
//
// etcd runs embedded (go.etcd.io/etcd/server/v3/embed), pinned in this
// module's go.mod next to Kubernetes, and prints one "ready" line when it
// serves. pki writes the certificates and keys the API server, its admin
// client and the service-account token signer need, as envtest does.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: controlplane-helper etcd|pki [flags]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "etcd":
		runEtcd(os.Args[2:])
	case "pki":
		runPKI(os.Args[2:])
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q: want etcd or pki\n", os.Args[1])
		os.Exit(2)
	}
}

func runEtcd(args []string) {
	fs := flag.NewFlagSet("etcd", flag.ExitOnError)
	dataDir := fs.String("data-dir", "", "directory for etcd's data (required)")
	clientURL := fs.String("listen-client-url", "http://127.0.0.1:2379", "loopback URL to serve clients on")
	peerURL := fs.String("listen-peer-url", "http://127.0.0.1:2380", "loopback URL for the (unused) peer port")
	_ = fs.Parse(args)
	if *dataDir == "" {
		log.Fatal("--data-dir is required")
	}
	cu, err := url.Parse(*clientURL)
	if err != nil {
		log.Fatalf("--listen-client-url: %v", err)
	}
	pu, err := url.Parse(*peerURL)
	if err != nil {
		log.Fatalf("--listen-peer-url: %v", err)
	}

	cfg := embed.NewConfig()
	cfg.Dir = *dataDir
	cfg.LogLevel = "error"
	cfg.ListenClientUrls = []url.URL{*cu}
	cfg.AdvertiseClientUrls = []url.URL{*cu}
	cfg.ListenPeerUrls = []url.URL{*pu}
	cfg.AdvertisePeerUrls = []url.URL{*pu}
	cfg.InitialCluster = cfg.Name + "=" + pu.String()
	// Test data is thrown away after the run: do not pay for fsync.
	cfg.UnsafeNoFsync = true

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		log.Fatalf("start etcd: %v", err)
	}
	select {
	case <-e.Server.ReadyNotify():
		fmt.Println("etcd ready", cu.String())
	case <-time.After(60 * time.Second):
		e.Server.Stop()
		log.Fatal("etcd did not become ready within 60s")
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
	case err := <-e.Err():
		log.Printf("etcd: %v", err)
	}
	e.Close()
}

// runPKI writes ca.{crt,key}, apiserver.{crt,key} (serving 127.0.0.1 and
// localhost), admin.{crt,key} (O=system:masters) and sa.{key,pub}.
func runPKI(args []string) {
	fs := flag.NewFlagSet("pki", flag.ExitOnError)
	dir := fs.String("dir", "", "directory to write into (required)")
	_ = fs.Parse(args)
	if *dir == "" {
		log.Fatal("--dir is required")
	}
	must(os.MkdirAll(*dir, 0o700))

	caKey := newKey()
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "opencode-test-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	must(err)
	caCert, err := x509.ParseCertificate(caDER)
	must(err)
	writeCert(*dir, "ca", caDER, caKey)

	leaf := func(name string, subject pkix.Name, usage x509.ExtKeyUsage, hosts []string, ips []net.IP) {
		key := newKey()
		tmpl := &x509.Certificate{
			SerialNumber: serial(),
			Subject:      subject,
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(7 * 24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			DNSNames:     hosts,
			IPAddresses:  ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		must(err)
		writeCert(*dir, name, der, key)
	}
	leaf("apiserver", pkix.Name{CommonName: "kube-apiserver"}, x509.ExtKeyUsageServerAuth,
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		[]net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.0.0.1")})
	leaf("admin", pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}}, x509.ExtKeyUsageClientAuth, nil, nil)

	// Service-account tokens are signed with RSA, which every consumer accepts.
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	writePEM(filepath.Join(*dir, "sa.key"), "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(saKey))
	pub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	must(err)
	writePEM(filepath.Join(*dir, "sa.pub"), "PUBLIC KEY", pub)
	fmt.Println("pki written to", *dir)
}

func newKey() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	return k
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	must(err)
	return n
}

func writeCert(dir, name string, der []byte, key *ecdsa.PrivateKey) {
	writePEM(filepath.Join(dir, name+".crt"), "CERTIFICATE", der)
	kb, err := x509.MarshalECPrivateKey(key)
	must(err)
	writePEM(filepath.Join(dir, name+".key"), "EC PRIVATE KEY", kb)
}

func writePEM(path, kind string, der []byte) {
	must(os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600))
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
