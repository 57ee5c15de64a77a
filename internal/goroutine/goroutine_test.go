package goroutine

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestGoRecovers(t *testing.T) {
	var mu sync.Mutex
	var logged string
	done := make(chan struct{})
	Go("worker", func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		logged = fmt.Sprintf(format, args...)
		close(done)
	}, func() { panic("boom") })
	<-done
	mu.Lock()
	defer mu.Unlock()
	if !strings.HasPrefix(logged, "worker: panic: boom\n") || !strings.Contains(logged, "goroutine_test.go") {
		t.Errorf("logged %q, want the name, the value and the stack", logged)
	}
}

func TestGoErr(t *testing.T) {
	errBad := errors.New("bad")
	for _, tc := range []struct {
		name   string
		fn     func() error
		want   error
		logged bool
	}{
		{"ok", func() error { return nil }, nil, false},
		{"error", func() error { return errBad }, errBad, false},
		{"panic", func() error { panic("boom") }, &PanicError{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logged := make(chan string, 1)
			got := make(chan error, 1)
			GoErr("w", func(format string, args ...any) { logged <- fmt.Sprintf(format, args...) }, tc.fn, func(err error) { got <- err })
			err := <-got
			var pe *PanicError
			switch {
			case tc.logged:
				if !errors.As(err, &pe) || pe.Name != "w" || pe.Value != "boom" || len(pe.Stack) == 0 {
					t.Fatalf("err = %#v, want the panic", err)
				}
				if err.Error() != "internal error: boom" {
					t.Errorf("Error() = %q", err.Error())
				}
				if l := <-logged; !strings.HasPrefix(l, "w: panic: boom\n") {
					t.Errorf("logged %q", l)
				}
			case err != tc.want:
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			select {
			case l := <-logged:
				if !tc.logged {
					t.Errorf("logged %q without a panic", l)
				}
			default:
			}
		})
	}
}

// TestNoBareGoStatements fails for each go statement in the module's
// production code (every .go file but tests) outside this package: every
// goroutine is started by Go or GoErr.
func TestNoBareGoStatements(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no module root at %s: %v", root, err)
	}
	self, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var bare []string
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (path == self || name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			if g, ok := n.(*ast.GoStmt); ok {
				pos := fset.Position(g.Pos())
				rel, _ := filepath.Rel(root, pos.Filename)
				bare = append(bare, fmt.Sprintf("%s:%d", filepath.ToSlash(rel), pos.Line))
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("parsed only %d files under %s", files, root)
	}
	if len(bare) > 0 {
		t.Errorf("%d go statements bypass goroutine.Go and goroutine.GoErr:\n\t%s", len(bare), strings.Join(bare, "\n\t"))
	}
}
