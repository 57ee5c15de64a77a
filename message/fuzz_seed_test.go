package message

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fuzzSeedFile is one input in the go test fuzz corpus format.
func fuzzSeedFile(kind string, data []byte) []byte {
	return []byte("go test fuzz v1\n" + kind + "(" + strconv.Quote(string(data)) + ")\n")
}

// fuzzSeeds returns the checked-in seeds of each fuzz target, by name:
// the messages of testdata and testdata/corpus (FuzzParse), their HTML
// bodies (FuzzRenderHTML), calendar and winmail.dat inputs.
func fuzzSeeds(t testing.TB) map[string]map[string][]byte {
	seeds := map[string]map[string][]byte{
		"FuzzParse": {}, "FuzzRenderHTML": {}, "FuzzCalendar": {}, "FuzzTNEF": {},
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	corpus, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*.eml"))
	for _, f := range append(files, corpus...) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(strings.ReplaceAll(strings.TrimPrefix(f, "testdata"+string(filepath.Separator)), string(filepath.Separator), "_"), ".eml")
		seeds["FuzzParse"][name] = fuzzSeedFile("[]byte", raw)
		m, err := Parse(raw, nil)
		if err != nil {
			t.Fatal(err)
		}
		if m.HTML != "" {
			seeds["FuzzRenderHTML"][name] = fuzzSeedFile("string", []byte(m.HTML))
		}
		for _, a := range m.Attachments {
			if a.ContentType == "text/calendar" || strings.HasSuffix(a.Filename, ".ics") {
				if data, err := PartData(raw, a.PartPath); err == nil {
					seeds["FuzzCalendar"][name+"_"+strings.ReplaceAll(a.PartPath, ".", "_")] = fuzzSeedFile("[]byte", data)
				}
			}
			if IsTNEF(a) {
				if data, err := PartData(raw, a.PartPath); err == nil {
					seeds["FuzzTNEF"][name] = fuzzSeedFile("[]byte", data)
				}
			}
		}
	}
	// Inputs at the parser's limits.
	var big bytes.Buffer
	big.WriteString("Subject: big header\r\n")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&big, "X-F%d: %s\r\n", i, strings.Repeat("v", 100))
	}
	big.WriteString("\r\nbody\r\n")
	seeds["FuzzParse"]["limits_header"] = fuzzSeedFile("[]byte", big.Bytes())
	seeds["FuzzParse"]["limits_nested"] = fuzzSeedFile("[]byte", nested(30))
	seeds["FuzzRenderHTML"]["limits_one_paragraph"] = fuzzSeedFile("string", []byte("<p>"+strings.Repeat("word <b>bold</b> ", 300)+"</p>"))
	seeds["FuzzTNEF"]["sample"] = fuzzSeedFile("[]byte", sampleTNEF())
	return seeds
}

// TestWriteFuzzSeeds writes testdata/fuzz/<FuzzName>/ when
// TERN_WRITE_FIXTURES is set.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("TERN_WRITE_FIXTURES") == "" {
		t.Skip("set TERN_WRITE_FIXTURES=1 to regenerate")
	}
	for target, files := range fuzzSeeds(t) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(dir, "seed_"+name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestFuzzSeedsCheckedIn checks that every seed is checked in as the
// generator writes it, so that plain `go test` runs them all.
func TestFuzzSeedsCheckedIn(t *testing.T) {
	for target, files := range fuzzSeeds(t) {
		if len(files) == 0 {
			t.Errorf("%s has no seeds", target)
		}
		for name, want := range files {
			got, err := os.ReadFile(filepath.Join("testdata", "fuzz", target, "seed_"+name))
			if err != nil || !bytes.Equal(got, want) {
				sum := sha256.Sum256(got)
				t.Errorf("%s/seed_%s missing or stale (%v, %s); regenerate with TERN_WRITE_FIXTURES=1", target, name, err, hex.EncodeToString(sum[:4]))
			}
		}
	}
}
