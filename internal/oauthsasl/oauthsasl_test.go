package oauthsasl

import (
	"bytes"
	"testing"
)

func TestXOAUTH2(t *testing.T) {
	c := NewXOAUTH2("alice@example.test", "tok")
	mech, ir, err := c.Start()
	if err != nil || mech != "XOAUTH2" {
		t.Fatalf("Start: %q, %v", mech, err)
	}
	if want := "user=alice@example.test\x01auth=Bearer tok\x01\x01"; string(ir) != want {
		t.Fatalf("initial response %q, want %q", ir, want)
	}
	if c.Refusal() != nil {
		t.Fatal("a refusal before any challenge")
	}
	resp, err := c.Next([]byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`))
	if err != nil || resp == nil || len(resp) != 0 {
		t.Fatalf("answer to the error challenge: %q, %v; want an empty, non-nil response", resp, err)
	}
	if r := c.Refusal(); r == nil || r.Status != "401" || r.Scope != "https://mail.google.com/" {
		t.Fatalf("refusal %+v", r)
	}
	if _, err := c.Next([]byte("again")); err == nil {
		t.Fatal("a second challenge was answered")
	}
	if _, _, err := NewXOAUTH2("a\x01b", "tok").Start(); err == nil {
		t.Fatal("a user name with 0x01 was sent")
	}
}

func TestOAuthBearer(t *testing.T) {
	c, err := New("oauthbearer", "alice@example.test", "tok", "imap.example.test", 993)
	if err != nil {
		t.Fatal(err)
	}
	mech, ir, err := c.Start()
	if err != nil || mech != "OAUTHBEARER" {
		t.Fatalf("Start: %q, %v", mech, err)
	}
	if want := "n,a=alice@example.test,\x01host=imap.example.test\x01port=993\x01auth=Bearer tok\x01\x01"; string(ir) != want {
		t.Fatalf("initial response %q, want %q", ir, want)
	}
	resp, err := c.Next([]byte("not json"))
	if err != nil || !bytes.Equal(resp, []byte{1}) {
		t.Fatalf("answer to the error challenge: %q, %v; want 0x01", resp, err)
	}
	if r := c.Refusal(); r == nil || r.Status != "not json" {
		t.Fatalf("refusal %+v", r)
	}
	if _, err := New("PLAIN", "a", "b", "", 0); err == nil {
		t.Fatal("PLAIN accepted")
	}
}
