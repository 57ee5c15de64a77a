package mailtest

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"testing"
	"time"
)

// The scripted server writes its replies as they are scripted (several in
// one write), and records what the client sent before and after STARTTLS
// and the raw DATA up to its end.
func TestScriptedSMTP(t *testing.T) {
	certPEM, keyPEM, _, err := realCert("localhost")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	srv := ScriptedSMTPForTest(t, func(ss *SMTPSession) error {
		if err := ss.Reply("220 a\r\n250 b\r\n"); err != nil {
			return err
		}
		if err := ss.Exchange("STARTTLS", "220 go\r\n"); err != nil {
			return err
		}
		if err := ss.StartTLS(); err != nil {
			return err
		}
		if err := ss.Exchange("DATA", "354 go\r\n"); err != nil {
			return err
		}
		if data, err = ss.ReadData(); err != nil {
			return err
		}
		return ss.Reply("250 ok\r\n")
	}, &ScriptedSMTPOptions{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})

	c, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	got := make([]byte, 14)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "220 a\r\n250 b\r\n" {
		t.Fatalf("greeting %q %v", got, err)
	}
	io.WriteString(c, "STARTTLS\r\n")
	r := bufio.NewReader(c)
	if l, _ := r.ReadString('\n'); l != "220 go\r\n" {
		t.Fatalf("STARTTLS reply %q", l)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	tc := tls.Client(c, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	io.WriteString(tc, "DATA\r\n")
	tr := bufio.NewReader(tc)
	if l, _ := tr.ReadString('\n'); l != "354 go\r\n" {
		t.Fatalf("DATA reply %q", l)
	}
	body := "a\n.\nb\r\n.\nc\r\n.\r\n"
	io.WriteString(tc, body)
	if l, _ := tr.ReadString('\n'); l != "250 ok\r\n" {
		t.Fatalf("end of DATA reply %q", l)
	}
	all, err := srv.WaitSessions(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ss := all[0]
	if p := string(ss.Plain()); p != "STARTTLS\r\n" {
		t.Errorf("plain %q", p)
	}
	if s := string(ss.Secure()); s != "DATA\r\n"+body || !ss.TLS() || ss.Err() != nil {
		t.Errorf("secure %q, TLS %v, err %v", s, ss.TLS(), ss.Err())
	}
	if string(data) != body {
		t.Errorf("DATA %q", data)
	}
}
