package health

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
)

// smtpStartTLS reads the greeting on c, sends EHLO and STARTTLS, and
// completes the handshake with cfg. It returns the TLS connection with a
// greeting queued in front of it, for smtp.NewClient (which reads one
// first). greeted says whether the greeting arrived.
func smtpStartTLS(c net.Conn, cfg *tls.Config) (tc net.Conn, greeted bool, err error) {
	tp := textproto.NewReader(bufio.NewReaderSize(c, 4096))
	if _, _, err := tp.ReadResponse(220); err != nil {
		return nil, false, err
	}
	if _, err := io.WriteString(c, "EHLO localhost\r\n"); err != nil {
		return nil, true, err
	}
	_, msg, err := tp.ReadResponse(250)
	if err != nil {
		return nil, true, err
	}
	if !hasLine(msg, "STARTTLS") {
		return nil, true, errNoStartTLS
	}
	if _, err := io.WriteString(c, "STARTTLS\r\n"); err != nil {
		return nil, true, err
	}
	if _, _, err := tp.ReadResponse(220); err != nil {
		return nil, true, fmt.Errorf("the server refused STARTTLS: %w", err)
	}
	t := tls.Client(c, cfg)
	if err := t.Handshake(); err != nil {
		return nil, true, err
	}
	return &greetedConn{Conn: t, pre: strings.NewReader("220 TLS\r\n")}, true, nil
}

var errNoStartTLS = fmt.Errorf("the server does not offer STARTTLS")

func hasLine(msg, ext string) bool {
	for _, l := range strings.Split(msg, "\n") {
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], ext) {
			return true
		}
	}
	return false
}

// greetedConn reads pre before the connection.
type greetedConn struct {
	net.Conn
	pre *strings.Reader
}

func (g *greetedConn) Read(p []byte) (int, error) {
	if g.pre.Len() > 0 {
		return g.pre.Read(p)
	}
	return g.Conn.Read(p)
}
