package main

import (
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/demomail"
)

// startDemo starts the embedded demo mailbox: real IMAP and SMTP servers
// inside this process on loopback, seeded with generated mail.
func startDemo() (*app.Demo, error) {
	srv, err := demomail.Start()
	if err != nil {
		return nil, err
	}
	return &app.Demo{Account: demomail.Account(srv), Password: srv.Password, Close: srv.Close}, nil
}
