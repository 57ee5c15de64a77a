package autoconfig

import (
	"slices"
	"strings"

	"github.com/ternmail/tern/accounts"
)

// Username forms of the provider table.
const (
	userEmail = "email" // the whole address
	userLocal = "local" // the part before '@'
	userAny   = ""      // unknown: Verify tries both
)

type providerServer struct {
	host string
	port int
	sec  accounts.Security
	user string // userEmail, userLocal or userAny
}

// provider is one entry of the built-in table.
type provider struct {
	name string
	// domains are email domains served by the provider.
	domains []string
	// mxDomains are registrable domains of the provider's MX hosts, for
	// domains it hosts (Google Workspace, Microsoft 365, …).
	mxDomains []string
	imap      []providerServer
	smtp      []providerServer
}

func implicit(host string, port int) providerServer {
	return providerServer{host, port, accounts.SecurityTLS, userEmail}
}

func upgrade(host string, port int) providerServer {
	return providerServer{host, port, accounts.SecuritySTARTTLS, userEmail}
}

func (s providerServer) as(user string) providerServer { s.user = user; return s }

// providers is the built-in table. It is never modified.
var providers = []provider{
	{name: "Gmail / Google Workspace", domains: []string{"gmail.com", "googlemail.com"}, mxDomains: []string{"google.com", "googlemail.com"},
		imap: []providerServer{implicit("imap.gmail.com", 993)},
		smtp: []providerServer{implicit("smtp.gmail.com", 465), upgrade("smtp.gmail.com", 587)}},
	{name: "Outlook.com", domains: []string{"outlook.com", "hotmail.com", "live.com", "msn.com", "passport.com",
		"hotmail.co.uk", "hotmail.fr", "hotmail.de", "hotmail.it", "hotmail.es", "live.co.uk", "live.fr", "live.de",
		"live.it", "live.nl", "live.com.au", "outlook.de", "outlook.fr", "outlook.es", "outlook.it", "outlook.co.uk"},
		imap: []providerServer{implicit("outlook.office365.com", 993)},
		smtp: []providerServer{upgrade("smtp-mail.outlook.com", 587)}},
	{name: "Microsoft 365", mxDomains: []string{"outlook.com"},
		imap: []providerServer{implicit("outlook.office365.com", 993)},
		smtp: []providerServer{upgrade("smtp.office365.com", 587)}},
	{name: "Yahoo Mail", domains: []string{"yahoo.com", "ymail.com", "rocketmail.com", "yahoo.co.uk", "yahoo.fr",
		"yahoo.de", "yahoo.it", "yahoo.es", "yahoo.ca", "yahoo.com.au", "yahoo.in"}, mxDomains: []string{"yahoodns.net"},
		imap: []providerServer{implicit("imap.mail.yahoo.com", 993)},
		smtp: []providerServer{implicit("smtp.mail.yahoo.com", 465), upgrade("smtp.mail.yahoo.com", 587)}},
	{name: "AOL Mail", domains: []string{"aol.com", "aim.com", "aol.co.uk", "aol.de", "aol.fr"},
		imap: []providerServer{implicit("imap.aol.com", 993)},
		smtp: []providerServer{implicit("smtp.aol.com", 465), upgrade("smtp.aol.com", 587)}},
	{name: "iCloud Mail", domains: []string{"icloud.com", "me.com", "mac.com"}, mxDomains: []string{"icloud.com"},
		imap: []providerServer{implicit("imap.mail.me.com", 993)},
		smtp: []providerServer{upgrade("smtp.mail.me.com", 587)}},
	{name: "Fastmail", domains: []string{"fastmail.com", "fastmail.fm", "fastmail.net", "fastmail.org", "fastmail.us",
		"fastmail.uk", "fastmail.de", "fastmail.es", "fastmail.in", "fastmail.to", "sent.com", "fmail.co.uk"},
		mxDomains: []string{"messagingengine.com"},
		imap:      []providerServer{implicit("imap.fastmail.com", 993)},
		smtp:      []providerServer{implicit("smtp.fastmail.com", 465), upgrade("smtp.fastmail.com", 587)}},
	{name: "GMX", domains: []string{"gmx.net", "gmx.de", "gmx.at", "gmx.ch"},
		imap: []providerServer{implicit("imap.gmx.net", 993)},
		smtp: []providerServer{implicit("mail.gmx.net", 465), upgrade("mail.gmx.net", 587)}},
	{name: "GMX (international)", domains: []string{"gmx.com", "gmx.us", "gmx.co.uk", "gmx.fr", "gmx.es"},
		imap: []providerServer{implicit("imap.gmx.com", 993)},
		smtp: []providerServer{implicit("mail.gmx.com", 465), upgrade("mail.gmx.com", 587)}},
	{name: "WEB.DE", domains: []string{"web.de"},
		imap: []providerServer{implicit("imap.web.de", 993).as(userAny)},
		smtp: []providerServer{upgrade("smtp.web.de", 587).as(userAny), implicit("smtp.web.de", 465).as(userAny)}},
	{name: "Zoho Mail", domains: []string{"zoho.com", "zohomail.com"}, mxDomains: []string{"zoho.com"},
		imap: []providerServer{implicit("imap.zoho.com", 993)},
		smtp: []providerServer{implicit("smtp.zoho.com", 465), upgrade("smtp.zoho.com", 587)}},
	{name: "Zoho Mail (EU)", domains: []string{"zoho.eu", "zohomail.eu"}, mxDomains: []string{"zoho.eu"},
		imap: []providerServer{implicit("imap.zoho.eu", 993)},
		smtp: []providerServer{implicit("smtp.zoho.eu", 465), upgrade("smtp.zoho.eu", 587)}},
	{name: "Yandex Mail", domains: []string{"yandex.ru", "yandex.com", "ya.ru", "yandex.by", "yandex.kz", "yandex.ua"},
		mxDomains: []string{"yandex.net", "yandex.ru"},
		imap:      []providerServer{implicit("imap.yandex.com", 993)},
		smtp:      []providerServer{implicit("smtp.yandex.com", 465)}},
	{name: "Mail.ru", domains: []string{"mail.ru", "inbox.ru", "list.ru", "bk.ru", "internet.ru", "mail.ua"},
		imap: []providerServer{implicit("imap.mail.ru", 993)},
		smtp: []providerServer{implicit("smtp.mail.ru", 465)}},
	{name: "Proton Mail (through Proton Mail Bridge)", domains: []string{"proton.me", "protonmail.com", "protonmail.ch", "pm.me"},
		imap: []providerServer{upgrade("127.0.0.1", 1143)},
		smtp: []providerServer{upgrade("127.0.0.1", 1025)}},
	{name: "mailbox.org", domains: []string{"mailbox.org"},
		imap: []providerServer{implicit("imap.mailbox.org", 993)},
		smtp: []providerServer{implicit("smtp.mailbox.org", 465), upgrade("smtp.mailbox.org", 587)}},
	{name: "Posteo", domains: []string{"posteo.de", "posteo.net", "posteo.org", "posteo.eu", "posteo.at", "posteo.ch"},
		imap: []providerServer{implicit("posteo.de", 993)},
		smtp: []providerServer{implicit("posteo.de", 465), upgrade("posteo.de", 587)}},
	{name: "Telekom Mail", domains: []string{"t-online.de", "magenta.de"},
		imap: []providerServer{implicit("secureimap.t-online.de", 993)},
		smtp: []providerServer{implicit("securesmtp.t-online.de", 465), upgrade("securesmtp.t-online.de", 587)}},
	{name: "Comcast (Xfinity)", domains: []string{"comcast.net"},
		imap: []providerServer{implicit("imap.comcast.net", 993)},
		smtp: []providerServer{implicit("smtp.comcast.net", 465), upgrade("smtp.comcast.net", 587)}},
	{name: "Orange", domains: []string{"orange.fr", "wanadoo.fr"},
		imap: []providerServer{implicit("imap.orange.fr", 993)},
		smtp: []providerServer{implicit("smtp.orange.fr", 465)}},
	{name: "Free", domains: []string{"free.fr"},
		imap: []providerServer{implicit("imap.free.fr", 993).as(userAny)},
		smtp: []providerServer{implicit("smtp.free.fr", 465).as(userAny)}},
	{name: "Seznam", domains: []string{"seznam.cz", "email.cz", "post.cz"},
		imap: []providerServer{implicit("imap.seznam.cz", 993)},
		smtp: []providerServer{implicit("smtp.seznam.cz", 465)}},
	{name: "QQ Mail", domains: []string{"qq.com", "foxmail.com"},
		imap: []providerServer{implicit("imap.qq.com", 993)},
		smtp: []providerServer{implicit("smtp.qq.com", 465)}},
	{name: "NetEase 163", domains: []string{"163.com"},
		imap: []providerServer{implicit("imap.163.com", 993)},
		smtp: []providerServer{implicit("smtp.163.com", 465)}},
}

// lookupProvider returns the provider serving email domain d, by domain
// (byMX false) or by the registrable domain of its MX host (byMX true).
func lookupProvider(d string, byMX bool) (provider, bool) {
	d = strings.ToLower(d)
	for _, p := range providers {
		list := p.domains
		if byMX {
			list = p.mxDomains
		}
		if slices.Contains(list, d) {
			return p, true
		}
	}
	return provider{}, false
}

// endpoints returns p's servers for email, in the table's order.
func (p provider) endpoints(protocol, email string) []accounts.Endpoint {
	list := p.imap
	if protocol == ProtocolSMTP {
		list = p.smtp
	}
	local, _, _ := strings.Cut(email, "@")
	var out []accounts.Endpoint
	for _, s := range list {
		e := accounts.Endpoint{Host: s.host, Port: s.port, Security: s.sec, Auth: accounts.AuthPlain}
		switch s.user {
		case userEmail:
			e.Username = email
		case userLocal:
			e.Username = local
		}
		out = append(out, e)
	}
	return out
}
