package message

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

// TestBase64SizeMatchesDecode checks that counting gives decodeBase64's
// length on well-formed, concatenated, padded, truncated and damaged input.
func TestBase64SizeMatchesDecode(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const chars = "ABCxyz019+/-_=== \t\r\n\r\n*?\x00\xff"
	cases := [][]byte{nil, []byte("="), []byte("QQ=="), []byte("QUJD"), []byte("QUJDRA==QUJD"), []byte("Q=Q=Q")}
	for i := 0; i < 2000; i++ {
		b := make([]byte, r.IntN(200))
		for j := range b {
			b[j] = chars[r.IntN(len(chars))]
		}
		cases = append(cases, b)
	}
	data := make([]byte, 100000)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	enc := base64.StdEncoding.EncodeToString(data)
	var wrapped bytes.Buffer
	for len(enc) > 76 {
		wrapped.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	wrapped.WriteString(enc)
	cases = append(cases, wrapped.Bytes(), wrapped.Bytes()[:wrapped.Len()-3])
	for _, c := range cases {
		_, want, _ := decodeBase64(c, false)
		if got := base64Size(c); got != want {
			t.Fatalf("base64Size(%q) = %d, decodeBase64 gives %d", c, got, want)
		}
	}
	if got := base64Size(wrapped.Bytes()); got != int64(len(data)) {
		t.Fatalf("size of a wrapped attachment = %d, want %d", got, len(data))
	}
}

func FuzzBase64Size(f *testing.F) {
	f.Add([]byte("QUJDRA==QUJD\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, want, _ := decodeBase64(b, false)
		if got := base64Size(b); got != want {
			t.Fatalf("base64Size(%q) = %d, decodeBase64 gives %d", b, got, want)
		}
	})
}

func BenchmarkBase64Size(b *testing.B) {
	data := bytes.Repeat([]byte("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\r\n"), 10000)
	b.SetBytes(int64(len(data)))
	b.Run("count", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			base64Size(data)
		}
	})
	b.Run("decode", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			decodeBase64(data, false)
		}
	})
}
