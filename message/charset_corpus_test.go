package message

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// charsetCase is one fixture of the charset corpus: a message whose
// subject and body are in charset, encoded for real.
type charsetCase struct {
	file    string // under testdata/corpus/
	charset string // the MIME label
	enc     encoding.Encoding
	cte     string // Content-Transfer-Encoding of the body
	html    bool   // an HTML body (with a <meta charset>) instead of plain text
	subject string
	body    string // text the rendered body must contain
	from    string // display name, also in the charset
	// metaOnly leaves the charset out of Content-Type: only the HTML's
	// <meta> names it, as some web-to-mail tools do.
	metaOnly bool
}

var charsetCases = []charsetCase{
	{"charset_iso-8859-1.eml", "iso-8859-1", charmap.ISO8859_1, "quoted-printable", false,
		"Réunion du comité : ordre du jour", "Voilà le café de l'été à Montréal, reçu à 9 h. Ça va très bien, merci !", "Hélène Dupré", false},
	{"charset_iso-8859-2.eml", "iso-8859-2", charmap.ISO8859_2, "quoted-printable", false,
		"Příliš žluťoučký kůň", "Zażółć gęślą jaźń. Příliš žluťoučký kůň úpěl ďábelské ódy. Árvíztűrő tükörfúrógép.", "Łukasz Wróbel", false},
	{"charset_iso-8859-5.eml", "iso-8859-5", charmap.ISO8859_5, "8bit", false,
		"Отчёт за квартал", "Съешь же ещё этих мягких французских булок, да выпей чаю.", "Пётр Иванов", false},
	{"charset_iso-8859-7.eml", "iso-8859-7", charmap.ISO8859_7, "base64", true,
		"Καλημέρα από την Αθήνα", "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. Ευχαριστούμε πολύ!", "Γιώργος Παπαδόπουλος", false},
	{"charset_iso-8859-15.eml", "iso-8859-15", charmap.ISO8859_15, "quoted-printable", false,
		"Facture : 15 € pour l'œuvre", "Le prix de l'œuvre est de 15 €, payé par Šárka Žák.", "Œdipe Ÿvon", false},
	{"charset_windows-1250.eml", "windows-1250", charmap.Windows1250, "quoted-printable", true,
		"Zaproszenie – „Dzień otwarty”", "Zażółć gęślą jaźń – zapraszamy na „Dzień otwarty” w środę.", "Bożena Kowalczyk", false},
	{"charset_windows-1251.eml", "windows-1251", charmap.Windows1251, "base64", false,
		"Счёт № 42 — «оплачен»", "Привіт! Ґанок пофарбовано — «ёлка» стоит в углу. Счёт № 42.", "Оксана Ґрицак", false},
	{"charset_windows-1252.eml", "windows-1252", charmap.Windows1252, "quoted-printable", true,
		"“Summer sale” – 20 € off…", "“Smart quotes” — €5 off for naïve café owners… ‘really’ • ™", "Zoë Müller", false},
	{"charset_windows-1253.eml", "windows-1253", charmap.Windows1253, "8bit", false,
		"Προσφορά «10 €» — μόνο σήμερα", "Ευχαριστούμε — «προσφορά» 10 € για όλους…", "Ελένη Ζαχαρίου", false},
	{"charset_koi8-r.eml", "koi8-r", charmap.KOI8R, "8bit", false,
		"Съешь же ещё булок", "В чащах юга жил бы цитрус? Да, но фальшивый экземпляр!", "Фёдор Смирнов", false},
	{"charset_gb2312.eml", "gb2312", simplifiedchinese.GBK, "base64", false,
		"会议通知：本周五下午三点", "各位同事，你好！本周五下午三点在三楼会议室开会，请准时参加。", "王小明", false},
	{"charset_gbk.eml", "gbk", simplifiedchinese.GBK, "base64", true,
		"朱镕基访问上海", "朱镕基总理昨天访问了上海浦东新区。喆、堃、镕都是扩展汉字。", "李喆", false},
	{"charset_gb18030.eml", "gb18030", simplifiedchinese.GB18030, "base64", false,
		"𠮷野家优惠券 €5", "欢迎光临𠮷野家！本周优惠 €5，另有😀表情。", "张𠮷", false},
	{"charset_big5.eml", "big5", traditionalchinese.Big5, "base64", true,
		"會議通知：歡迎參加", "歡迎光臨！本週五下午三點在會議室開會，請準時參加。", "陳大文", false},
	{"charset_shift_jis.eml", "shift_jis", japanese.ShiftJIS, "base64", false,
		"会議のお知らせ（第３回）", "お世話になっております。来週の会議は第３会議室で行います。ソフトウェア開発部", "山田太郎", false},
	{"charset_euc-jp.eml", "euc-jp", japanese.EUCJP, "8bit", true,
		"ご注文ありがとうございます", "日本語のメールです。ご注文の商品は明日発送いたします。よろしくお願いします。", "佐藤花子", false},
	{"charset_iso-2022-jp.eml", "iso-2022-jp", japanese.ISO2022JP, "7bit", false,
		"お世話になっております", "いつもお世話になっております。資料を添付いたしましたのでご確認ください。", "鈴木一郎", false},
	{"charset_euc-kr.eml", "euc-kr", korean.EUCKR, "base64", false,
		"회의 안내: 금요일 오후 3시", "안녕하세요, 회의 안내입니다. 금요일 오후 3시에 대회의실에서 만나요.", "김민수", false},
	{"charset_windows-1251_meta.eml", "windows-1251", charmap.Windows1251, "8bit", true,
		"Рассылка: новости недели", "Новости недели — «главное» за пять минут.", "Редакция", true},
}

func mustEncode(t testing.TB, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encoding %q: %v", s, err)
	}
	return b
}

// encodedWord encodes s as RFC 2047 words in charset, B-encoded for
// multi-byte charsets and Q-encoded for single-byte ones, as mailers do.
func encodedWord(charset string, b []byte, single bool) string {
	if !single {
		return "=?" + charset + "?B?" + base64.StdEncoding.EncodeToString(b) + "?="
	}
	var q strings.Builder
	for _, c := range b {
		switch {
		case c == ' ':
			q.WriteByte('_')
		case c > ' ' && c < 0x7f && c != '=' && c != '?' && c != '_':
			q.WriteByte(c)
		default:
			fmt.Fprintf(&q, "=%02X", c)
		}
	}
	return "=?" + charset + "?Q?" + q.String() + "?="
}

func (c charsetCase) eml(t testing.TB) []byte {
	_, single := c.enc.(*charmap.Charmap)
	body := c.body
	if c.html {
		body = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=" + c.charset + "\"></head>\r\n" +
			"<body><p>" + body + "</p>\r\n<p style=\"color:#666\">-- <br>" + c.from + "</p></body></html>\r\n"
	} else {
		body = body + "\r\n\r\n-- \r\n" + c.from + "\r\n"
	}
	enc := mustEncode(t, c.enc, body)
	switch c.cte {
	case "base64":
		s := base64.StdEncoding.EncodeToString(enc)
		var lines []string
		for len(s) > 76 {
			lines, s = append(lines, s[:76]), s[76:]
		}
		enc = []byte(strings.Join(append(lines, s), "\r\n") + "\r\n")
	case "quoted-printable":
		var buf bytes.Buffer
		w := quotedprintable.NewWriter(&buf)
		w.Write(enc)
		w.Close()
		enc = buf.Bytes()
	}
	ct := "text/plain"
	if c.html {
		ct = "text/html"
	}
	var h strings.Builder
	fmt.Fprintf(&h, "From: %s <sender@%s.example>\r\n", encodedWord(c.charset, mustEncode(t, c.enc, c.from), single), strings.ReplaceAll(c.charset, "_", "-"))
	h.WriteString("To: reader@example.com\r\n")
	fmt.Fprintf(&h, "Subject: %s\r\n", encodedWord(c.charset, mustEncode(t, c.enc, c.subject), single))
	h.WriteString("Date: Mon, 03 Mar 2025 09:15:00 +0100\r\n")
	fmt.Fprintf(&h, "Message-ID: <%s@mail.example>\r\n", strings.TrimSuffix(c.file, ".eml"))
	h.WriteString("MIME-Version: 1.0\r\n")
	if c.metaOnly {
		fmt.Fprintf(&h, "Content-Type: %s\r\nContent-Transfer-Encoding: %s\r\n\r\n", ct, c.cte)
	} else {
		fmt.Fprintf(&h, "Content-Type: %s; charset=\"%s\"\r\nContent-Transfer-Encoding: %s\r\n\r\n", ct, c.charset, c.cte)
	}
	return append([]byte(h.String()), enc...)
}

// TestWriteCharsetCorpus regenerates the charset fixtures of
// testdata/corpus when TERN_WRITE_FIXTURES is set.
func TestWriteCharsetCorpus(t *testing.T) {
	if os.Getenv("TERN_WRITE_FIXTURES") == "" {
		t.Skip("set TERN_WRITE_FIXTURES=1 to regenerate")
	}
	for _, c := range charsetCases {
		if err := os.WriteFile(filepath.Join("testdata", "corpus", c.file), c.eml(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCorpusCharsets renders each checked-in charset fixture the way the
// reader does (Parse, then Render) and checks the Unicode text of the
// subject, the sender's name and the rendered body.
func TestCorpusCharsets(t *testing.T) {
	for _, c := range charsetCases {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(c.file, "charset_"), ".eml"), func(t *testing.T) {
			m, raw, d := corpusDoc(t, c.file)
			if !bytes.Equal(raw, c.eml(t)) {
				t.Errorf("%s differs from what its encoder makes (regenerate with TERN_WRITE_FIXTURES=1)", c.file)
			}
			if bytes.Contains(raw, []byte(c.body[:len(c.body)/2])) && c.charset != "iso-2022-jp" {
				t.Errorf("%s holds its body as UTF-8: not a real %s fixture", c.file, c.charset)
			}
			if m.Subject != c.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, c.subject)
			}
			if len(m.From) != 1 || m.From[0].Name != c.from {
				t.Errorf("From = %+v, want name %q", m.From, c.from)
			}
			text := d.Text()
			if !strings.Contains(text, c.body) {
				t.Errorf("rendered body:\n%s\nwant it to contain:\n%s", text, c.body)
			}
			if !strings.Contains(text, c.from) {
				t.Errorf("rendered body lacks the signature %q:\n%s", c.from, text)
			}
			if strings.ContainsRune(text, '\uFFFD') || strings.ContainsAny(text, "<>") {
				t.Errorf("rendered body has replacement characters or markup:\n%s", text)
			}
			if len(m.Warnings) > 0 {
				t.Errorf("Warnings = %q", m.Warnings)
			}
		})
	}
}
