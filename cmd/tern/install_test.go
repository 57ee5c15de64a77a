package main

import (
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMakeInstall runs make install into a temporary PREFIX and checks what
// it put there with the desktop's own validators (desktop-file-utils,
// appstream), then make uninstall.
func TestMakeInstall(t *testing.T) {
	for _, tool := range []string{"make", "desktop-file-validate", "appstreamcli"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: install make, desktop-file-utils and appstream (make test does)", tool)
		}
	}
	prefix := t.TempDir()
	make := func(target string) {
		t.Helper()
		cmd := exec.Command("make", "-C", "../..", target, "PREFIX="+prefix)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make %s: %v\n%s", target, err, out)
		}
	}
	make("install")

	const id = "org.ternmail.tern"
	desktop := filepath.Join(prefix, "share/applications", id+".desktop")
	metainfo := filepath.Join(prefix, "share/metainfo", id+".metainfo.xml")
	for _, c := range [][]string{{"desktop-file-validate", desktop}, {"appstreamcli", "validate", "--no-net", metainfo}} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
	entry, err := os.ReadFile(desktop)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"Exec=tern %u", "Icon=" + id, "MimeType=x-scheme-handler/mailto;message/rfc822;"} {
		if !strings.Contains(string(entry), "\n"+line+"\n") {
			t.Errorf("desktop entry lacks %q:\n%s", line, entry)
		}
	}
	if out, err := exec.Command(filepath.Join(prefix, "bin/tern"), "version").Output(); err != nil || !strings.HasPrefix(string(out), "tern ") {
		t.Errorf("installed tern version: %q %v", out, err)
	}
	icons := filepath.Join(prefix, "share/icons/hicolor")
	if _, err := os.Stat(filepath.Join(icons, "scalable/apps", id+".svg")); err != nil {
		t.Error(err)
	}
	for _, size := range []int{16, 32, 48, 128, 256} {
		f, err := os.Open(filepath.Join(icons, fmt.Sprintf("%dx%d", size, size), "apps", id+".png"))
		if err != nil {
			t.Error(err)
			continue
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != size || cfg.Height != size {
			t.Errorf("%d px icon: %+v %v", size, cfg, err)
		}
	}

	make("uninstall")
	var left []string
	filepath.Walk(prefix, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && filepath.Base(p) != "mimeinfo.cache" {
			left = append(left, p)
		}
		return nil
	})
	if len(left) > 0 {
		t.Errorf("make uninstall left %q", left)
	}
}
