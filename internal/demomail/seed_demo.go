package demomail

import (
	"bytes"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Seed generates the demo mailbox: about 560 messages spread over the six
// months before now (the newest a few minutes old) across INBOX, Sent,
// Drafts, Archive, Trash, Junk, Projects/Tern, Receipts, Travel and
// Travel/Zürich. The output depends only on now. Messages are ordered by
// date, so appending them in order gives ascending UIDs.
func Seed(now time.Time) []SeedMessage {
	g := &gen{r: rand.New(rand.NewPCG(0x7e51, 0xd3e0)), now: now.Truncate(time.Second)}
	g.threads()
	g.personal(80)
	g.newsletterMail(120)
	g.notifications(150)
	g.receipts(35)
	g.withAttachments(25)
	g.invites(10)
	g.travel()
	g.junk(10)
	g.sentOneOffs(15)
	g.drafts()
	g.today()
	sort.SliceStable(g.out, func(i, j int) bool { return g.out[i].Date.Before(g.out[j].Date) })
	return g.out
}

type gen struct {
	r   *rand.Rand
	now time.Time
	n   int // messages generated, for unique IDs
	out []SeedMessage
}

const day = 24 * time.Hour

// past returns a time up to maxDays before now, skewed towards recent dates
// (people get more mail lately than they keep from long ago), at least an
// hour old.
func (g *gen) past(maxDays float64) time.Time {
	f := g.r.Float64()
	f *= f
	d := time.Hour + time.Duration(f*maxDays*float64(day))
	return g.now.Add(-d).Truncate(time.Second)
}

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

// msgID returns a deterministic, unique Message-ID for a sender.
func (g *gen) msgID(from person, t time.Time) string {
	g.n++
	return fmt.Sprintf("%s.%s.%d@%s", strconv.FormatInt(t.Unix(), 36),
		strconv.FormatUint(uint64(hash32(from.email, strconv.Itoa(g.n))), 36), g.n, from.domain())
}

func (g *gen) newEmail(from person, to []person, subject string, t time.Time, body *part) *email {
	id := g.msgID(from, t)
	return &email{from: from, to: to, subject: subject, date: t, id: id, body: body,
		boundary: strconv.FormatUint(uint64(hash32(id)), 36)}
}

// incomingFlags: old mail is read, recent mail partly unread; a few flags.
func (g *gen) incomingFlags(t time.Time) []string {
	var f []string
	age := g.now.Sub(t)
	if (age > 36*time.Hour && g.r.IntN(40) != 0) || (age <= 36*time.Hour && g.r.IntN(3) == 0) {
		f = append(f, `\Seen`)
	}
	if g.r.IntN(25) == 0 {
		f = append(f, `\Flagged`)
	}
	return f
}

func (g *gen) add(mailbox string, flags []string, m *email) {
	g.out = append(g.out, SeedMessage{Mailbox: mailbox, Flags: flags, Date: m.date, Raw: m.bytes()})
}

// letter composes a plain-text personal message.
func (g *gen) letter(to, from person, paras []string) string {
	var b strings.Builder
	b.WriteString(fmt.Sprintf(g.pick(greetings), to.first()))
	for _, p := range paras {
		b.WriteString("\n\n" + p)
	}
	b.WriteString("\n\n" + g.pick(signoffs) + "\n" + from.first() + "\n")
	return b.String()
}

func (g *gen) paras(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = g.pick(paragraphs)
	}
	return out
}

func quote(from person, t time.Time, body string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "On %s, %s <%s> wrote:\n", t.Format("Mon, 2 Jan 2006 at 15:04"), from.name, from.email)
	lines := strings.Split(strings.TrimRight(wrapText(body, 72, false), "\n"), "\n")
	if len(lines) > 14 {
		lines = append(lines[:14], "[...]")
	}
	for _, l := range lines {
		if strings.HasPrefix(l, ">") {
			b.WriteString(">" + l + "\n")
		} else if l == "" {
			b.WriteString(">\n")
		} else {
			b.WriteString("> " + l + "\n")
		}
	}
	return b.String()
}

// threads generates conversations alternating between people and the user.
// The user's replies go to Sent; messages the user answered get \Answered.
func (g *gen) threads() {
	for i, spec := range threadSpecs {
		maxAge := 170.0
		if spec.mailbox == "Archive" {
			maxAge = 120
		}
		t := g.past(maxAge)
		if spec.mailbox == "Archive" {
			t = t.Add(-50 * day)
		}
		if t.After(g.now.Add(-3 * day)) {
			t = g.now.Add(-3 * day)
		}
		n := 3 + g.r.IntN(5)
		var refs []string
		var prevBody string
		var prevFrom person
		var prevT time.Time
		pending := -1 // index of the last incoming message, \Answered once replied to
		for k := 0; k < n; k++ {
			from := people[spec.with[k%len(spec.with)]]
			mine := k%2 == 1
			if mine {
				from = me
			}
			var to []person
			var cc []person
			if mine {
				to = []person{prevFrom}
				for _, w := range spec.with {
					if people[w] != prevFrom {
						cc = append(cc, people[w])
					}
				}
			} else {
				to = []person{me}
				for _, w := range spec.with[1:] {
					if people[w] != from {
						cc = append(cc, people[w])
					}
				}
			}
			text := spec.lines[k%len(spec.lines)]
			if g.r.IntN(2) == 0 {
				text += " " + spec.lines[(k+1)%len(spec.lines)]
			}
			body := g.letter(to[0], from, []string{text})
			if k > 0 {
				body += "\n" + quote(prevFrom, prevT, prevBody)
			}
			subject := spec.subject
			if k > 0 {
				subject = "Re: " + spec.subject
			}
			m := g.newEmail(from, to, subject, t, textPart("plain", body, i+k, false))
			m.cc = cc
			if len(refs) > 0 {
				m.replyTo = refs[len(refs)-1]
				m.refs = append([]string(nil), refs...)
			}
			refs = append(refs, m.id)
			if mine {
				if pending >= 0 {
					g.out[pending].Flags = append(g.out[pending].Flags, `\Answered`)
					pending = -1
				}
				g.add("Sent", []string{`\Seen`}, m)
			} else {
				g.add(spec.mailbox, g.incomingFlags(t), m)
				pending = len(g.out) - 1
			}
			prevBody, prevFrom, prevT = body, from, t
			t = t.Add(time.Duration(20+g.r.IntN(60*30)) * time.Minute)
			if t.After(g.now.Add(-30 * time.Minute)) {
				t = g.now.Add(-time.Duration(30+n-k) * time.Minute)
			}
		}
	}
}

// personal generates one-off plain-text mail; people with a native language
// sometimes write in it, a few of them with an ISO-8859-1 mail client.
func (g *gen) personal(n int) {
	for i := 0; i < n; i++ {
		pi := g.r.IntN(len(people))
		from := people[pi]
		t := g.past(180)
		subject := g.pick(personalSubjects)
		var text string
		nat, ok := native[pi]
		latin1 := false
		if ok && g.r.IntN(2) == 0 {
			subject = g.pick(nat.subjects)
			var b strings.Builder
			fmt.Fprintf(&b, nat.greeting, me.first())
			for _, p := range nat.paras[:1+g.r.IntN(len(nat.paras))] {
				b.WriteString("\n\n" + p)
			}
			b.WriteString("\n\n" + nat.signoff + "\n" + from.first() + "\n")
			text = b.String()
			latin1 = (pi == pJose || pi == pChloe || pi == pSoren) && i%2 == 0
		} else {
			text = g.letter(me, from, g.paras(2+g.r.IntN(3)))
		}
		m := g.newEmail(from, []person{me}, subject, t, textPart("plain", text, i, latin1))
		m.latin1 = latin1
		if latin1 || i%7 == 0 {
			m.headers = append(m.headers, [2]string{"User-Agent", "Mutt/2.2.12 (2023-09-09)"})
		}
		box := "INBOX"
		if g.now.Sub(t) > 60*day && g.r.IntN(5) < 2 {
			box = "Archive"
		}
		g.add(box, g.incomingFlags(t), m)
	}
}

func htmlDoc(title, brand, accent string, inner string) string {
	return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>` + html.EscapeString(title) + `</title></head>
<body style="margin:0;padding:0;background:#f4f4f6;font-family:Helvetica,Arial,sans-serif;color:#222">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">
<table role="presentation" width="600" cellpadding="16" cellspacing="0" style="background:#ffffff;border-radius:6px">
<tr><td style="background:` + accent + `;color:#fff;font-size:22px;font-weight:bold">` + html.EscapeString(brand) + `</td></tr>
` + inner + `
<tr><td style="font-size:11px;color:#888">You are receiving this e-mail because you signed up at ` + html.EscapeString(brand) + `.
<a href="https://unsubscribe.example/u?list=` + strconv.Itoa(int(hash32(brand))) + `">Unsubscribe</a></td></tr>
</table></td></tr></table></body></html>
`
}

var accents = []string{"#2b5797", "#b5651d", "#2d7d46", "#8e44ad", "#c0392b", "#16a085"}

// newsletterMail generates HTML-only newsletters; some were binned.
func (g *gen) newsletterMail(n int) {
	for i := 0; i < n; i++ {
		spec := newsletters[i%len(newsletters)]
		t := g.past(180)
		subject := fmt.Sprintf(spec.subjects[(i/len(newsletters))%len(spec.subjects)], 100+i/len(newsletters))
		var inner strings.Builder
		for k := 0; k < 3; k++ {
			item := spec.items[(i+k)%len(spec.items)]
			fmt.Fprintf(&inner, "<tr><td><h2 style=\"margin:0 0 8px;font-size:18px\">%s</h2><p style=\"line-height:1.5\">%s</p>"+
				"<p><a href=\"https://%s/read/%d/%d\" style=\"color:%s\">Read more →</a></p></td></tr>\n",
				html.EscapeString(item), html.EscapeString(g.pick(paragraphs)), spec.from.domain(), i, k, accents[i%len(accents)])
		}
		body := htmlDoc(subject, spec.from.name, accents[i%len(accents)], inner.String())
		m := g.newEmail(spec.from, []person{me}, subject, t, textPart("html", body, i, false))
		m.headers = append(m.headers,
			[2]string{"List-Id", fmt.Sprintf("%s <%s>", spec.from.name, spec.listID)},
			[2]string{"List-Unsubscribe", fmt.Sprintf("<https://unsubscribe.example/u?list=%d>, <mailto:unsubscribe@%s>", hash32(spec.from.name), spec.from.domain())},
			[2]string{"Precedence", "bulk"})
		if !isASCII(spec.from.name) {
			m.from.bword = i%2 == 0
		}
		box, flags := "INBOX", g.incomingFlags(t)
		if i%8 == 5 {
			box, flags = "Trash", []string{`\Seen`}
		}
		g.add(box, flags, m)
	}
}

// notifications generates multipart/alternative machine mail: code-forge
// comments (threaded per issue), bank alerts and parcel tracking.
func (g *gen) notifications(n int) {
	for i := 0; i < n; i++ {
		t := g.past(180)
		var m *email
		var text, htmlBody, box string
		switch i % 4 {
		case 0, 1: // forge
			issue := 100 + i%len(forgeIssues)*7
			title := forgeIssues[i%len(forgeIssues)]
			actor := forgeActors[g.r.IntN(len(forgeActors))]
			comment := g.pick(paragraphs)
			url := fmt.Sprintf("https://gitforge.example/ternmail/tern/issues/%d", issue)
			text = fmt.Sprintf("%s left a comment (ternmail/tern#%d)\n\n%s\n\n-- \nReply to this email directly or view it on GitForge:\n%s\n", actor, issue, comment, url)
			htmlBody = fmt.Sprintf("<p><b>%s</b> left a comment (ternmail/tern#%d)</p>\n<blockquote>%s</blockquote>\n<p style=\"font-size:12px;color:#666\">Reply to this email directly or <a href=\"%s\">view it on GitForge</a>.</p>\n",
				html.EscapeString(actor), issue, html.EscapeString(comment), url)
			from := coForge
			from.name = actor + " (GitForge)"
			m = g.newEmail(from, []person{{name: "ternmail/tern", email: "tern@noreply.gitforge.example"}}, fmt.Sprintf("Re: [ternmail/tern] %s (#%d)", title, issue), t, nil)
			root := fmt.Sprintf("ternmail/tern/issues/%d@gitforge.example", issue)
			m.replyTo, m.refs = root, []string{root}
			m.headers = append(m.headers, [2]string{"List-Id", "ternmail/tern <tern.ternmail.gitforge.example>"})
			box = "Projects/Tern"
			if i%3 == 0 {
				box = "INBOX"
			}
		case 2: // bank
			amount := fmt.Sprintf("€%d.%02d", 3+g.r.IntN(180), g.r.IntN(100))
			shop := g.pick(shops)
			text = fmt.Sprintf("Hello %s,\n\nA card payment of %s at %s was made with your card ending in 4821 on %s.\n\nIf you don't recognise this payment, call us immediately.\n\nCobalt Bank\n", me.first(), amount, shop, t.Format("2 Jan 2006 15:04"))
			htmlBody = fmt.Sprintf("<p>Hello %s,</p><p>A card payment of <b>%s</b> at <b>%s</b> was made with your card ending in 4821.</p><p>If you don't recognise this payment, call us immediately.</p>", html.EscapeString(me.first()), amount, html.EscapeString(shop))
			m = g.newEmail(coBank, []person{me}, fmt.Sprintf("Card payment of %s at %s", amount, shop), t, nil)
			box = "INBOX"
		default: // parcel
			code := fmt.Sprintf("PX%09d", g.r.IntN(1e9))
			item := g.pick(parcelItems)
			status := []string{"has been dispatched", "is out for delivery 📦", "was delivered", "is waiting at your pick-up point"}[g.r.IntN(4)]
			text = fmt.Sprintf("Your parcel %s (%s) %s.\n\nTrack it: https://parcelly.example/t/%s\n", code, item, status, code)
			htmlBody = fmt.Sprintf("<p>Your parcel <b>%s</b> (%s) %s.</p><p><a href=\"https://parcelly.example/t/%s\">Track your parcel</a></p>", code, html.EscapeString(item), html.EscapeString(status), code)
			m = g.newEmail(coParcel, []person{me}, fmt.Sprintf("Your parcel %s", status), t, nil)
			box = "INBOX"
		}
		m.body = multipart("alternative", textPart("plain", text, i, false),
			textPart("html", htmlDoc(m.subject, m.from.name, accents[i%len(accents)], "<tr><td>"+htmlBody+"</td></tr>"), i, false))
		g.add(box, g.incomingFlags(t), m)
	}
}

// pdf returns a small but well-formed one-page PDF showing lines of text.
func pdf(lines ...string) []byte {
	var content strings.Builder
	content.WriteString("BT /F1 12 Tf 72 760 Td 16 TL\n")
	for _, l := range lines {
		l = strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(string(toLatin1(l)))
		content.WriteString("(" + l + ") Tj T*\n")
	}
	content.WriteString("ET\n")
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// pngImages holds a few small PNGs, encoded once (PNG encoding dominates the
// generation time otherwise).
var pngImages = sync.OnceValue(func() [][]byte {
	out := make([][]byte, 4)
	for i := range out {
		out[i] = encodePNG(i, 16+8*i)
	}
	return out
})

// pngImage returns one of the cached PNGs.
func pngImage(seed int) []byte {
	imgs := pngImages()
	return imgs[seed%len(imgs)]
}

// encodePNG returns a small PNG: a diagonal gradient in a seed-dependent hue.
func encodePNG(seed, size int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			v := uint8((x + y) * 255 / (2 * size))
			img.Set(x, y, color.RGBA{uint8(seed * 70), v, 255 - v, 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// ics returns an iCalendar invitation (RFC 5545, CRLF lines).
func ics(uid, summary, location string, start time.Time, dur time.Duration, organizer person) []byte {
	const f = "20060102T150405Z"
	lines := []string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Tern//Demo//EN", "METHOD:REQUEST",
		"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:" + start.Add(-7*day).UTC().Format(f),
		"DTSTART:" + start.UTC().Format(f), "DTEND:" + start.Add(dur).UTC().Format(f),
		"SUMMARY:" + summary, "LOCATION:" + location,
		"ORGANIZER;CN=" + organizer.name + ":mailto:" + organizer.email,
		"ATTENDEE;CN=" + me.name + ";RSVP=TRUE:mailto:" + me.email,
		"END:VEVENT", "END:VCALENDAR", "",
	}
	return []byte(strings.Join(lines, "\r\n"))
}

// receipts generates HTML receipts and invoices with PDF attachments.
func (g *gen) receipts(n int) {
	for i := 0; i < n; i++ {
		t := g.past(180)
		var m *email
		switch i % 3 {
		case 0:
			order := 40000 + i*37
			total := fmt.Sprintf("€%d.%02d", 9+g.r.IntN(60), g.r.IntN(100))
			inner := fmt.Sprintf("<tr><td><p>Thanks for your order, %s!</p><table width=\"100%%\" style=\"border-collapse:collapse\">"+
				"<tr><td>“%s”</td><td align=\"right\">%s</td></tr><tr><td><b>Total</b></td><td align=\"right\"><b>%s</b></td></tr></table></td></tr>",
				html.EscapeString(me.first()), html.EscapeString(newsletters[2].items[i%4]), total, total)
			m = g.newEmail(coBooks, []person{me}, fmt.Sprintf("Your Paperleaf order #%d", order), t,
				textPart("html", htmlDoc("Order confirmation", coBooks.name, "#2d7d46", inner), i, false))
		case 1:
			inv := fmt.Sprintf("HC-%d-%04d", t.Year(), 100+i)
			month := t.AddDate(0, -1, 0).Format("January 2006")
			amount := fmt.Sprintf("$%d.%02d", 5+g.r.IntN(40), g.r.IntN(100))
			text := fmt.Sprintf("Hello,\n\nyour invoice %s for %s is attached.\nAmount due: %s, charged to your card on file.\n\nHexa Cloud Billing\n", inv, month, amount)
			m = g.newEmail(coCloud, []person{me}, fmt.Sprintf("Invoice %s for %s", inv, month), t,
				multipart("mixed", textPart("plain", text, i, false),
					attachment("application/pdf", inv+".pdf", pdf("Hexa Cloud", "Invoice "+inv, "Period: "+month, "Amount: "+amount))))
		default:
			month := t.Format("January")
			amount := fmt.Sprintf("€%d.%02d", 40+g.r.IntN(90), g.r.IntN(100))
			inner := fmt.Sprintf("<tr><td><p>Your electricity bill for %s is ready.</p><p style=\"font-size:28px\">%s</p><p>It will be collected by direct debit in 14 days.</p></td></tr>", month, amount)
			m = g.newEmail(coLumen, []person{me}, fmt.Sprintf("Your %s bill is ready", month), t,
				textPart("html", htmlDoc("Your bill", coLumen.name, "#f39c12", inner), i, false))
		}
		g.add("Receipts", []string{`\Seen`}, m)
	}
}

// withAttachments generates personal mail with PNG, PDF and text
// attachments, including non-ASCII (RFC 2231) filenames.
func (g *gen) withAttachments(n int) {
	for i := 0; i < n; i++ {
		from := people[(i*5+3)%len(people)]
		t := g.past(180)
		text := g.letter(me, from, g.paras(1+g.r.IntN(2)))
		var subject string
		var atts []*part
		switch i % 6 {
		case 0:
			subject = "Photos from the weekend 📸"
			atts = []*part{attachment("image/png", "IMG_20"+strconv.Itoa(1000+i)+".png", pngImage(i)),
				attachment("image/png", "IMG_20"+strconv.Itoa(1001+i)+".png", pngImage(i+1))}
		case 1:
			subject = "Meeting notes"
			atts = []*part{attachment("text/plain", "notes.txt", []byte("Meeting notes\r\n=============\r\n\r\n- Agreed on the release date.\r\n- Hannah owns the design review.\r\n- Next meeting in two weeks.\r\n"))}
			atts[0].params["charset"] = "us-ascii"
			atts[0].cte = "7bit"
		case 2:
			subject = "Contract draft for review"
			atts = []*part{attachment("application/pdf", "contract-draft-v3.pdf", pdf("Contract draft v3", "Between the parties", "Please review section 4."))}
		case 3:
			subject = "Präsentation Q3 (Entwurf)"
			atts = []*part{attachment("application/pdf", "Präsentation Q3 – Entwurf.pdf", pdf("Präsentation Q3", "Entwurf"))}
		case 4:
			from = people[pLi]
			subject = "会议记录"
			atts = []*part{attachment("text/plain", "会议记录.txt", []byte("会议记录\r\n\r\n1. 发布日期已确定。\r\n2. 翻译工作下周完成。\r\n"))}
			atts[0].params["charset"] = "utf-8"
		default:
			subject = "Floor plan 🏠"
			atts = []*part{attachment("image/png", "floor plan.png", pngImage(i))}
		}
		body := multipart("mixed", append([]*part{textPart("plain", text, i, false)}, atts...)...)
		if i%4 == 3 {
			// Some mailers send an HTML alternative alongside the text.
			alt := multipart("alternative", textPart("plain", text, i, false),
				textPart("html", "<html><body><p>"+strings.ReplaceAll(html.EscapeString(text), "\n", "<br>\n")+"</p></body></html>", i, false))
			body.parts[0] = alt
		}
		m := g.newEmail(from, []person{me}, subject, t, body)
		box := "INBOX"
		if g.now.Sub(t) > 60*day {
			box = "Archive"
		}
		g.add(box, g.incomingFlags(t), m)
	}
}

// invites generates calendar invitations (text + HTML + invite.ics).
func (g *gen) invites(n int) {
	titles := []string{"Tern sprint planning", "1:1 Priya / Sam", "Design review", "Coffee ☕ with Zoë", "Retro"}
	for i := 0; i < n; i++ {
		from := people[[]int{pPriya, pHannah, pNoah, pZoe, pMarcus}[i%5]]
		t := g.past(150)
		start := t.Add(time.Duration(2+g.r.IntN(10)) * day).Truncate(time.Hour).Add(9 * time.Hour)
		title := titles[i%len(titles)]
		subject := fmt.Sprintf("Invitation: %s @ %s", title, start.Format("Mon 2 Jan 2006 15:04 (MST)"))
		text := fmt.Sprintf("%s has invited you to %s.\n\nWhen: %s\nWhere: Meeting room Ørsted / video call\n", from.name, title, start.Format("Monday 2 January 2006, 15:04 MST"))
		uid := fmt.Sprintf("%x@tern.example", hash32(title, strconv.Itoa(i)))
		cal := &part{ctype: "text/calendar", params: map[string]string{"charset": "utf-8", "method": "REQUEST"}, cte: "base64",
			body: ics(uid, title, "Meeting room Ørsted", start, time.Hour, from)}
		m := g.newEmail(from, []person{me}, subject, t, multipart("mixed",
			multipart("alternative", textPart("plain", text, i, false), cal),
			attachment("application/ics", "invite.ics", ics(uid, title, "Meeting room Ørsted", start, time.Hour, from))))
		g.add("INBOX", g.incomingFlags(t), m)
	}
}

// travel generates booking confirmations, including a German hotel
// confirmation in ISO-8859-1.
func (g *gen) travel() {
	for i := 0; i < 12; i++ {
		trip := travelTrips[i%len(travelTrips)]
		t := g.past(175)
		ref := fmt.Sprintf("NW%05X", hash32(trip.code, strconv.Itoa(i))&0xFFFFF)
		dep := t.Add(time.Duration(10+g.r.IntN(40)) * day).Truncate(time.Hour).Add(7 * time.Hour)
		if dep.After(g.now.Add(60 * day)) {
			dep = g.now.Add(30 * day).Truncate(time.Hour)
		}
		text := fmt.Sprintf("Dear %s,\n\nthank you for flying with Northwind Airlines.\n\nBooking reference: %s\nFlight: %s → %s\nDeparture: %s\n\nYour boarding pass is attached. Have a pleasant trip!\n",
			me.name, ref, trip.from, trip.to, dep.Format("Mon 2 Jan 2006 15:04 MST"))
		m := g.newEmail(coAir, []person{me}, fmt.Sprintf("Booking confirmation %s — %s → %s", ref, trip.from, trip.to), t,
			multipart("mixed",
				multipart("alternative", textPart("plain", text, i, false),
					textPart("html", htmlDoc("Booking confirmation", coAir.name, "#2b5797", "<tr><td><pre style=\"font-family:inherit\">"+html.EscapeString(text)+"</pre></td></tr>"), i, false)),
				attachment("application/pdf", "boarding-pass-"+ref+".pdf", pdf("Boarding pass", ref, trip.from+" -> "+trip.to)),
				attachment("text/calendar", "flight.ics", ics(ref+"@northwind-air.example", "Flight "+trip.from+" → "+trip.to, trip.from+" airport", dep, 2*time.Hour, coAir))))
		box := "Travel"
		if trip.to == "Zürich" || trip.from == "Zürich" {
			box = "Travel/Zürich"
		}
		g.add(box, []string{`\Seen`}, m)
	}
	for i := 0; i < 4; i++ {
		t := g.past(120)
		text := fmt.Sprintf("Sehr geehrte/r %s,\n\nvielen Dank für Ihre Reservierung im Hotel Löwen Zürich.\n\nAnreise: %s\nAbreise: %s\nZimmer: Doppelzimmer zur Einzelnutzung, Frühstück inklusive\n\nWir freuen uns auf Ihren Besuch!\n\nMit freundlichen Grüßen\nIhr Team vom Hotel Löwen\n",
			me.name, t.Add(20*day).Format("02.01.2006"), t.Add(23*day).Format("02.01.2006"))
		m := g.newEmail(coHotel, []person{me}, "Reservierungsbestätigung – Hotel Löwen Zürich", t, textPart("plain", text, i, true))
		m.latin1 = true
		g.add("Travel/Zürich", []string{`\Seen`}, m)
	}
	for i := 0; i < 2; i++ {
		t := g.past(90)
		text := "Your e-ticket Zürich HB → Zürich Flughafen is attached.\nValid on the day of travel.\n"
		m := g.newEmail(coTrain, []person{me}, "Your e-ticket Zürich HB → Flughafen", t,
			multipart("mixed", textPart("plain", text, i, false), attachment("application/pdf", "e-ticket.pdf", pdf("E-ticket", "Zurich HB - Flughafen"))))
		g.add("Travel", []string{`\Seen`}, m)
	}
}

func (g *gen) junk(n int) {
	for i := 0; i < n; i++ {
		from := coJunkers[i%len(coJunkers)]
		t := g.past(60)
		body := "Dear customer,\n\nCLICK HERE to claim your reward: http://totally-legit.example/claim?id=" + strconv.Itoa(i) + "\n\nThis offer expires in 24 hours!!!\n"
		m := g.newEmail(from, []person{me}, junkSubjects[i%len(junkSubjects)], t, textPart("plain", body, i, false))
		m.headers = append(m.headers, [2]string{"X-Spam-Flag", "YES"}, [2]string{"X-Spam-Status", "Yes, score=9.7"})
		flags := []string{"$Junk"}
		if i%2 == 0 {
			flags = append(flags, `\Seen`)
		}
		g.add("Junk", flags, m)
	}
}

func (g *gen) sentOneOffs(n int) {
	subjects := []string{"Thanks!", "Invoice question", "Photos 📷", "Meeting notes", "Quick favour", "Happy birthday! 🎂", "Re-scheduling"}
	for i := 0; i < n; i++ {
		to := people[(i*3+1)%len(people)]
		t := g.past(180)
		text := g.letter(to, me, g.paras(1+g.r.IntN(2)))
		var body *part
		switch subjects[i%len(subjects)] {
		case "Photos 📷":
			body = multipart("mixed", textPart("plain", text, i, false), attachment("image/png", "photo.png", pngImage(i)))
		case "Meeting notes":
			body = multipart("mixed", textPart("plain", text, i, false), &part{ctype: "text/plain",
				params: map[string]string{"charset": "utf-8"}, cte: "quoted-printable", disp: "attachment",
				filename: "Notizen – Übergabe.txt", body: []byte("Übergabe:\n- Schlüssel bei Søren\n- Post weiterleiten\n")})
		default:
			body = textPart("plain", text, i, false)
		}
		m := g.newEmail(me, []person{to}, subjects[i%len(subjects)], t, body)
		m.headers = append(m.headers, [2]string{"User-Agent", "Tern/0.4"})
		g.add("Sent", []string{`\Seen`}, m)
	}
}

func (g *gen) drafts() {
	specs := []struct {
		to      int
		subject string
		text    string
	}{
		{pPriya, "Notes for the retro", "Things that went well:\n- release checklist\n- fewer meetings\n\nThings to improve:\n- "},
		{pSoren, "Re: Apartment viewing — Løvstræde 12", "Hi Søren,\n\nthanks again for arranging the viewing. I'd like to"},
		{pNoah, "Proposal: offline search", "Idea: keep a local full-text index per account and update it during sync.\n\nOpen questions:\n"},
		{pBen, "Wedding speech (ideas) 💍", "- how they met (the bike incident)\n- Lisbon\n- "},
	}
	for i, s := range specs {
		t := g.past(20)
		m := g.newEmail(me, []person{people[s.to]}, s.subject, t, textPart("plain", s.text, i, false))
		m.headers = append(m.headers, [2]string{"User-Agent", "Tern/0.4"})
		g.add("Drafts", []string{`\Draft`, `\Seen`}, m)
	}
}

// today adds a few unread messages from the last hours, the newest a few
// minutes old.
func (g *gen) today() {
	subjects := []string{"Are you around this afternoon?", "Ready for review: IDLE keepalive fix", "Zoë's birthday — gift idea 🎁", "Heute Abend?", "Build is green again ✅", "Photos!"}
	for i, s := range subjects {
		from := people[[]int{pBen, pNoah, pEmma, pJose, pMarcus, pMum}[i]]
		t := g.now.Add(-time.Duration(4+i*37) * time.Minute)
		m := g.newEmail(from, []person{me}, s, t, textPart("plain", g.letter(me, from, g.paras(1+i%2)), i, false))
		var flags []string
		if i == 3 {
			flags = []string{`\Flagged`}
		}
		g.add("INBOX", flags, m)
	}
}
