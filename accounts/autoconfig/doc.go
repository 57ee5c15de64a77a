// Package autoconfig finds and checks the IMAP and SMTP servers of an email
// address.
//
// [Discover] asks every source at once, within an overall budget (10 s by
// default), and probes each server a source proposes (TCP, TLS handshake,
// greeting, CAPABILITY or EHLO, authentication mechanisms) without logging
// in. The sources, in order of precedence:
//
//  1. "provider": a built-in table of large mail providers, matched on the
//     address's domain;
//  2. "autoconfig": the domain's own config-v1.1.xml, from
//     https://autoconfig.<domain>/mail/config-v1.1.xml and
//     https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml;
//  3. "ispdb": the Thunderbird ISPDB, https://autoconfig.thunderbird.net/v1.1/<domain>;
//  4. "srv": DNS SRV records (RFC 6186, RFC 8314), implicit TLS first, then
//     by priority and weight;
//  5. "mx": the registrable domain of the lowest-preference MX host, looked
//     up in the provider table, its autoconfig and the ISPDB (this finds
//     Google Workspace, Microsoft 365 and other hosted domains);
//  6. "guess": imap.<domain>, mail.<domain> and <domain> on 993 and 143,
//     smtp.<domain>, mail.<domain> and <domain> on 465, 587 and, last, 25
//     (used only when it offers STARTTLS and then AUTH, as every STARTTLS
//     server must);
//  7. "autoconfig-http": the domain's autoconfig over plain HTTP, the last
//     resort: fetched only when HTTPS gave nothing, a server it names wins
//     only when no other source named one that works, it must lie in the
//     address's own registrable domain or be named by another source too,
//     and its socketType "plain" servers are never used (anyone on the path
//     could have written them).
//
// For each protocol the winner is the best server whose probe succeeded
// (a verified result beats an unverified one, whatever its source); among
// those, a server with TLS or STARTTLS beats one without, then the source
// with the higher precedence wins, then the order within the source. A
// server found by several sources counts with its best source. Discover
// stops early once a server works for each protocol and no better source or
// probe is still running. When the best server for a protocol works except
// that its certificate does not verify, Discover returns the Result and an
// error from which errors.As extracts the *accounts.CertError, so that the
// user may pin it (see Options.AcceptCerts).
//
// When no server of a protocol answers, but the provider table or another
// authority on the domain (its autoconfig over HTTPS, its SRV records, the
// ISPDB, its MX host's provider) names one that could not be reached at all
// (no DNS answer, no network, refused, no answer in time), that server is
// the winner all the same, marked unverified with the reason
// (Result.Unverified, an *UnverifiedError): offline, the settings of a
// known provider can still be saved and checked later. A guessed server
// that cannot be reached is never used: nothing says it exists.
//
// [Verify] then logs in for real: an IMAP LOGIN and an SMTP AUTH (PLAIN or
// LOGIN, after STARTTLS where configured, never falling back to plain text),
// without sending mail. It reports per server what worked and why something
// did not.
//
// Everything that touches the network is injectable through [Options]: the
// DNS resolver, the HTTP client, the dialer and a PortMap that redirects
// well-known ports, so that tests run against local servers.
package autoconfig
