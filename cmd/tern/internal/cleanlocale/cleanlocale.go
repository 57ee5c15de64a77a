// Package cleanlocale gives Fyne a locale it can parse, so that Tern's
// command line and window print nothing about the user's locale.
//
// Fyne's lang package reads the locale in its own init(), through
// github.com/jeandeaual/go-locale: the first of LC_ALL, LC_MESSAGES and
// LANG that is set, or LANGUAGE when that one is not exactly "C" or
// "POSIX". It cuts the codeset (".UTF-8") and hands the rest to
// golang.org/x/text/language. A value such as C.UTF-8 (the default of
// many containers, ssh logins, cron and CI machines) becomes the tag "C",
// and de_DE@euro becomes "de-DE@euro": neither parses, and Fyne logs
// three lines to stderr before main runs, and again whenever the window
// asks for the locale.
//
// This package's init sets LANGUAGE, which go-locale reads first in those
// cases, to the entries it can parse (with any @modifier removed), or to
// "en" when none is left: Fyne then falls back to English quietly. For
// programs Tern starts, LANGUAGE only orders message catalogues: "en" is
// what a C locale shows anyway.
//
// It must run before Fyne's lang package is initialised. Go initialises
// packages in import-path order, each as soon as its imports are (the
// rule of Go 1.21 and later): this package imports only os and strings,
// which golang.org/x/text/language (imported by Fyne's lang) needs too,
// and its path sorts before golang.org/..., so it is always initialised
// before that package and therefore before Fyne's lang. Importing
// golang.org/x/text here would break that guarantee.
package cleanlocale

import (
	"os"
	"strings"
)

func init() {
	if v, ok := Fix(os.Getenv); ok {
		os.Setenv("LANGUAGE", v)
	}
}

// Fix returns the LANGUAGE value that makes the locale getenv describes
// readable by go-locale and x/text, and true, or "" and false when the
// locale is readable already.
func Fix(getenv func(string) string) (string, bool) {
	locale := ""
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if locale = getenv(name); locale != "" {
			break
		}
	}
	if locale == "C" || locale == "POSIX" {
		return "", false // go-locale takes these for "no locale": English
	}
	if l := getenv("LANGUAGE"); l != "" {
		locale = l
	}
	if locale == "" {
		return "", false
	}
	var keep []string
	bad := false
	for _, entry := range strings.Split(locale, ":") {
		if wellFormed(entry) {
			keep = append(keep, entry)
			continue
		}
		bad = true
		// de_DE@euro → de_DE (go-locale cuts a codeset, not a modifier).
		if base, _, ok := strings.Cut(entry, "@"); ok && wellFormed(base) {
			keep = append(keep, base)
		}
	}
	if !bad {
		return "", false
	}
	if len(keep) == 0 {
		return "en", true
	}
	return strings.Join(keep, ":"), true
}

// wellFormed reports whether go-locale turns entry into a tag that
// x/text's language.Parse accepts: a language of two or three letters,
// then optionally a region of two letters or three digits, after the
// codeset is cut.
func wellFormed(entry string) bool {
	entry, _, _ = strings.Cut(entry, ".")
	entry = strings.ReplaceAll(entry, "-", "_")
	lang, region, hasRegion := strings.Cut(entry, "_")
	if len(lang) < 2 || len(lang) > 3 || !all(lang, isLetter) {
		return false
	}
	if !hasRegion {
		return true
	}
	return (len(region) == 2 && all(region, isLetter)) || (len(region) == 3 && all(region, isDigit))
}

func all(s string, f func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !f(s[i]) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
