package cleanlocale

import (
	"testing"

	"github.com/jeandeaual/go-locale"
	"golang.org/x/text/language"
)

// TestFixMakesFyneLocalesParse sets each environment, applies Fix the way
// init does, then reads the locales as Fyne's lang package does (go-locale,
// then language.Parse) and checks every one parses. It also checks Fix
// leaves a readable environment alone.
func TestFixMakesFyneLocalesParse(t *testing.T) {
	vars := []string{"LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"}
	for _, tc := range []struct {
		env  map[string]string
		want string // LANGUAGE after Fix; "" = left alone
	}{
		{map[string]string{"LANG": "C.UTF-8"}, "en"},
		{map[string]string{"LANG": "C.utf8"}, "en"},
		{map[string]string{"LC_ALL": "C.UTF-8", "LANG": "en_US.UTF-8"}, "en"},
		{map[string]string{"LC_MESSAGES": "POSIX.UTF-8"}, "en"},
		{map[string]string{"LANG": "C"}, ""},
		{map[string]string{"LC_ALL": "POSIX"}, ""},
		{map[string]string{"LC_ALL": "POSIX", "LANG": "C.UTF-8"}, ""},
		{map[string]string{}, ""},
		{map[string]string{"LANG": "en_US.UTF-8"}, ""},
		{map[string]string{"LANG": "pt_BR.UTF-8", "LANGUAGE": "pt_BR:pt:en"}, ""},
		{map[string]string{"LANG": "es_419.UTF-8"}, ""},
		{map[string]string{"LANG": "de_DE@euro"}, "de_DE"},
		{map[string]string{"LANG": "sr_RS.UTF-8@latin"}, ""},
		{map[string]string{"LANG": "en_US.UTF-8", "LANGUAGE": "C.UTF-8"}, "en"},
		{map[string]string{"LANG": "fr_FR.UTF-8", "LANGUAGE": "fr_FR:C:en"}, "fr_FR:en"},
		{map[string]string{"LANG": "garbage!"}, "en"},
	} {
		for _, v := range vars {
			t.Setenv(v, tc.env[v])
		}
		got, changed := Fix(func(k string) string { return tc.env[k] })
		if got != tc.want || changed != (tc.want != "") {
			t.Errorf("%v: Fix = %q, %v; want %q", tc.env, got, changed, tc.want)
		}
		if changed {
			t.Setenv("LANGUAGE", got)
		}
		locs, err := locale.GetLocales()
		if err != nil {
			t.Fatalf("%v: GetLocales: %v", tc.env, err)
		}
		for _, l := range locs {
			if _, err := language.Parse(l); err != nil {
				t.Errorf("%v: Fyne would log %q: %v", tc.env, l, err)
			}
		}
	}
}
