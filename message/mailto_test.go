package message

import (
	"errors"
	"reflect"
	"testing"
)

// TestParseMailtoRFC6068 parses the examples of RFC 6068 section 6 (and a
// few combinations) into what each asks to write.
func TestParseMailtoRFC6068(t *testing.T) {
	for _, tc := range []struct {
		link string
		want Mailto
	}{
		{"mailto:chris@example.com", Mailto{To: []string{"chris@example.com"}}},
		{"mailto:infobot@example.com?subject=current-issue",
			Mailto{To: []string{"infobot@example.com"}, Subject: "current-issue"}},
		{"mailto:infobot@example.com?body=send%20current-issue",
			Mailto{To: []string{"infobot@example.com"}, Body: "send current-issue"}},
		{"mailto:infobot@example.com?body=send%20current-issue%0D%0Asend%20index",
			Mailto{To: []string{"infobot@example.com"}, Body: "send current-issue\nsend index"}},
		{"mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E",
			Mailto{To: []string{"list@example.org"}, InReplyTo: "<3469A91.D10AF4C@example.com>"}},
		{"mailto:majordomo@example.com?body=subscribe%20bamboo-l",
			Mailto{To: []string{"majordomo@example.com"}, Body: "subscribe bamboo-l"}},
		{"mailto:joe@example.com?cc=bob@example.com&body=hello",
			Mailto{To: []string{"joe@example.com"}, Cc: []string{"bob@example.com"}, Body: "hello"}},
		{"mailto:gorby%25kremvax@example.com", Mailto{To: []string{"gorby%kremvax@example.com"}}},
		{"mailto:unlikely%3Faddress@example.com?blat=foop", Mailto{To: []string{"unlikely?address@example.com"}}},
		{"mailto:?to=joe@example.com&cc=bob@example.com&body=hello",
			Mailto{To: []string{"joe@example.com"}, Cc: []string{"bob@example.com"}, Body: "hello"}},
		{"mailto:Mike%26family@example.org", Mailto{To: []string{"Mike&family@example.org"}}},
		{"mailto:%22not%40me%22@example.org", Mailto{To: []string{`"not@me"@example.org`}}},
		{"mailto:%22oh%5C%5Cno%22@example.org", Mailto{To: []string{`"oh\\no"@example.org`}}},
		{"mailto:%22%5C%5C%5C%22it's%5C%20ugly%5C%5C%5C%22%22@example.org",
			Mailto{To: []string{`"\\\"it's\ ugly\\\""@example.org`}}},
		{"mailto:user@example.org?subject=caf%C3%A9", Mailto{To: []string{"user@example.org"}, Subject: "café"}},
		{"mailto:user@example.org?subject=%3D%3Futf-8%3FQ%3Fcaf%3DC3%3DA9%3F%3D",
			Mailto{To: []string{"user@example.org"}, Subject: "café"}},
		{"mailto:user@%E7%B4%8D%E8%B1%86.example.org?subject=Test&body=NATTO",
			Mailto{To: []string{"user@納豆.example.org"}, Subject: "Test", Body: "NATTO"}},
		// Several addresses, every field, any order and case.
		{"MAILTO:a@example.com,b@example.com?BCC=c@example.com,d%2Ce@example.com&Subject=Hi%20there&to=f@example.com&cc=g@example.com&body=1+1%3D2",
			Mailto{To: []string{"a@example.com", "b@example.com", "f@example.com"}, Cc: []string{"g@example.com"},
				Bcc: []string{"c@example.com", "d,e@example.com"}, Subject: "Hi there", Body: "1+1=2"}},
		// A subject cannot add header lines.
		{"mailto:a@example.com?subject=x%0D%0ABcc:%20evil@example.com",
			Mailto{To: []string{"a@example.com"}, Subject: "x Bcc: evil@example.com"}},
		{"mailto:", Mailto{}},
	} {
		got, err := ParseMailto(tc.link)
		if err != nil {
			t.Errorf("%s: %v", tc.link, err)
			continue
		}
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tc.link, *got, tc.want)
		}
	}
}

func TestParseMailtoRejects(t *testing.T) {
	if _, err := ParseMailto("http://example.com"); !errors.Is(err, ErrNotMailto) {
		t.Errorf("http: %v", err)
	}
	if _, err := ParseMailto("mailto:a@example.com?subject=%zz"); err == nil {
		t.Error("bad percent-encoding accepted")
	}
}
