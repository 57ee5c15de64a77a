// Package mailtest provides mail servers for Tern's tests. It is never linked
// into the tern binary (cmd/tern's TestBinaryLinksNoTestCode checks that).
//
// The in-process IMAP and SMTP servers are internal/demomail's, which ships
// in the binary for the demo mailbox; this package re-exports them for tests
// under their test names (StartServer, StartDemo, DemoSeed, DemoAccount …)
// and adds helpers bound to a test: ServerForTest, DemoForTest and
// Server.DialIMAP. Tests start in-process servers through ServerForTest or
// DemoForTest, which close them when the test ends; only internal/demomail's
// own tests (which mailtest cannot serve: it imports demomail) start theirs
// by hand.
//
// StartReal launches real Dovecot (IMAP, LMTP) and Postfix (submission) on
// loopback ports in a temporary directory; RealForTest does so for one test.
//
// FaultProxy is a TCP proxy that breaks the connections between a client
// under test and a server at chosen points (see Fault), refuses them, or
// black-holes them until released.
package mailtest
