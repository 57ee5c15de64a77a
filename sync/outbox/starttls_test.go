package outbox

import "testing"

// A failed STARTTLS is told by the capabilities in the reply to EHLO, not
// by go-smtp's words.
func TestOffersSTARTTLS(t *testing.T) {
	for _, c := range []struct {
		heard            string
		replied, offered bool
	}{
		{"220 mx.test ESMTP\r\n250-mx.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n", true, true},
		{"220 mx.test ESMTP\r\n250-mx.test\r\n250 starttls\r\n", true, true},
		{"220 mx.test ESMTP\r\n250-mx.test\r\n250-AUTH PLAIN STARTTLS\r\n250 SIZE 1000\r\n", true, false},
		{"220 mx.test ESMTP\r\n250-mx.test\r\n250 AUTH PLAIN\r\n", true, false},
		{"220 mx.test ESMTP\r\n502 no EHLO\r\n250 mx.test\r\n", true, false},  // HELO: no extensions
		{"220 mx.test ESMTP\r\n250-mx.test\r\n250-STARTTLS\r\n", false, true}, // cut short
		{"554 go away\r\n", false, false},
		{"", false, false},
	} {
		replied, offered := offersSTARTTLS([]byte(c.heard))
		if replied != c.replied || offered != c.offered {
			t.Errorf("%q: replied %v offered %v, want %v %v", c.heard, replied, offered, c.replied, c.offered)
		}
	}
}
