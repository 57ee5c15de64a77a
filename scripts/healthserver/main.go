// Command healthserver serves the demo mailbox (internal/demomail, with
// TLS) on the standard ports of 127.0.0.1, IMAP 993 and SMTP 465, for the
// README's screenshot of an account set to a wrong port
// (scripts/screenshot-health.sh):
//
//	go run ./scripts/healthserver DIR
//
// writes DIR/cert.pem (the server's certificate, to trust with
// SSL_CERT_FILE), DIR/password and DIR/user, then serves until it is
// killed. Binding ports below 1024 needs root (or
// CAP_NET_BIND_SERVICE).
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ternmail/tern/internal/demomail"
	"github.com/ternmail/tern/internal/goroutine"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: healthserver DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	srv, err := demomail.StartServer(&demomail.ServerOptions{TLS: true, Seed: demomail.Seed(time.Now())})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	for _, f := range []struct{ name, data string }{{"cert.pem", string(srv.CertPEM)}, {"password", srv.Password}, {"user", srv.Username}} {
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.data), 0o600); err != nil {
			log.Fatal(err)
		}
	}
	forward("127.0.0.1:993", srv.IMAPAddr)
	forward("127.0.0.1:465", srv.SMTPAddr)
	fmt.Println("ready")
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
}

// forward accepts connections on from and relays each to to.
func forward(from, to string) {
	ln, err := net.Listen("tcp", from)
	if err != nil {
		log.Fatal(err)
	}
	goroutine.Go("accept "+from, log.Printf, func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			goroutine.Go("relay "+from, log.Printf, func() { relay(c, to) })
		}
	})
}

func relay(c net.Conn, to string) {
	defer c.Close()
	u, err := net.Dial("tcp", to)
	if err != nil {
		return
	}
	defer u.Close()
	done := make(chan struct{})
	goroutine.Go("relay up", log.Printf, func() {
		io.Copy(u, c)
		u.(*net.TCPConn).CloseWrite()
		close(done)
	})
	io.Copy(c, u)
	<-done
}
