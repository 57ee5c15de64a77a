// Package outbox is Tern's durable send queue and its SMTP sender.
//
// Queue writes a message to the store's outbox before anything touches the
// network. A Worker then sends the due messages of each account over one
// SMTP connection per account (implicit TLS or STARTTLS, never a plaintext
// fallback; AUTH PLAIN or LOGIN), and records every outcome in the store:
//
//	queued → sending → sent       every recipient accepted
//	                 → partial    some accepted, the others refused for good
//	                 → failed     refused for good; LastError has the server's words
//	                 → queued     a temporary refusal (4xx, network, timeout): retried
//	                              with capped exponential backoff, at most
//	                              Options.MaxAttempts times, then failed
//	                 → uncertain  see below
//
// A queued message is due at the end of the undo window (Options.UndoDelay
// after Queue) or at its "send later" time; until the worker hands it to
// the server it can be taken back with Cancel.
//
// Recipients are tracked one by one: those refused with 5xx are final, those
// refused with 4xx are retried alone once the others have the message. The
// state "partial" means the message went to some recipients and was
// refused for good for the others (see store.OutboxItem.Results); Retry sends
// it again to the refused ones only.
//
// When the server first accepts a message, the same store transaction
// records a pending action of kind store.ActionAppend that the IMAP sync
// engine replays to copy the message to the Sent folder, unless
// Options.AppendSent says the provider files sent mail itself (Gmail). The
// engine first looks for the message in Sent by its Message-ID, so that a
// copy appended just before a crash is not filed twice.
//
// With STARTTLS, nothing but EHLO and STARTTLS is sent before the TLS
// handshake: a server that does not offer STARTTLS fails the message for
// good, a refusal of STARTTLS (454, 5xx) is the server's error for that
// command, and replies injected behind the "220" are never read as
// replies (go-smtp reads only through TLS from then on). EHLO is sent
// again over TLS and only its capabilities count. A certificate that fails
// verification and is not pinned, or differs from the pinned one, fails
// the message with an *accounts.CertError before any credential is sent;
// a port set to implicit TLS that answers in plain text fails it with an
// *accounts.ConnectError that says so.
//
// Outgoing messages are CRLF-only: Queue refuses a lone CR or LF, and the
// worker checks a stored message again before DATA, so that no line end
// next to a dot can end the DATA early at a lenient server (SMTP
// smuggling); go-smtp dot-stuffs.
//
// The stored message is the copy filed in Sent, so it keeps its Bcc field
// (showing whom the sender Bcc'd, as other clients do). The worker sends
// message.StripBcc of it: the recipients never see the Bcc field, whatever
// built the message (the composer, or an .eml file given to tern send).
// Storing one copy and stripping on the way out keeps the durable row the
// single source of both.
//
// A non-ASCII address needs the server's SMTPUTF8: without it the message
// fails at once, with that reason, rather than being retried. The SIZE
// limit each server advertises is kept in memory, per account, from every
// connection (SizeLimit; LearnSizeLimit connects to learn it), for the
// composer's warning.
//
// # Crashes and the at-most-once promise
//
// A row is "sending" only from the DATA command on, so a process killed
// before that leaves it "queued" and it is simply sent later. A process
// killed during DATA, or after the server's final reply but before Tern
// recorded it, leaves it "sending": the server may or may not have accepted
// it, and Tern cannot tell. The next Worker marks such rows "uncertain" with
// an explanation instead of sending them again. The same holds when the
// connection breaks, or the server stops answering, after the final "."
// was sent. The attempt is counted in the store before DATA, so an
// uncertain message shows it.
//
// Where the server can tell, Tern settles it: ResolveUncertain, called
// after each sync of the account, marks sent an uncertain message whose
// Message-ID the store holds in the Sent folder, or in INBOX when the
// account was among the recipients (and then files the copy in Sent).
// Otherwise the user decides: MarkSent (a copy is filed in Sent), Retry
// (send again), or Cancel. So a message is sent at most once, except if
// the user sends again an uncertain one that had in fact been accepted.
//
// Only one Worker per store may send: Options.LockPath names a lock file
// (held with flock on Unix) that a second process waits for, so that it
// never marks the first one's messages uncertain nor sends them twice.
//
// Worker is safe for concurrent use. Every goroutine it starts recovers
// panics and reports them through Options.Logf.
package outbox
