package main

import (
	"fmt"
	"strconv"
	"strings"
)

// args is a parsed command line: flags may come before, between or after
// positional arguments, as users type them.
type args struct {
	flags map[string][]string
	pos   []string
}

// parseArgs parses in against spec, which maps each flag name to whether
// it takes a value. Both "--name value" and "--name=value" work, with one
// or two dashes; "--" ends flags.
func parseArgs(in []string, spec map[string]bool) (*args, error) {
	a := &args{flags: map[string][]string{}}
	for i := 0; i < len(in); i++ {
		s := in[i]
		if s == "--" {
			a.pos = append(a.pos, in[i+1:]...)
			break
		}
		if !strings.HasPrefix(s, "-") || s == "-" {
			a.pos = append(a.pos, s)
			continue
		}
		name := strings.TrimLeft(s, "-")
		value, hasValue := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, value, hasValue = k, v, true
		}
		if strings.ContainsAny(name, `:"`) {
			// No flag is named so: a negated search term (-from:bob).
			a.pos = append(a.pos, s)
			continue
		}
		takes, known := spec[name]
		if !known {
			return nil, fmt.Errorf("unknown flag --%s", name)
		}
		if takes && !hasValue {
			if i+1 >= len(in) {
				return nil, fmt.Errorf("flag --%s needs a value", name)
			}
			i++
			value = in[i]
		} else if !takes && hasValue {
			return nil, fmt.Errorf("flag --%s takes no value", name)
		}
		a.flags[name] = append(a.flags[name], value)
	}
	return a, nil
}

func (a *args) has(name string) bool { _, ok := a.flags[name]; return ok }

func (a *args) str(name string) string {
	v := a.flags[name]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

func (a *args) all(name string) []string { return a.flags[name] }

func (a *args) int(name string, def int) (int, error) {
	s := a.str(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("--%s wants a whole number, not %q", name, s)
	}
	return n, nil
}
