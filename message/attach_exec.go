package message

import (
	"path/filepath"
	"strings"
)

// executableExts are file types that run code when opened: programs,
// scripts, installers, shortcuts and Office files with macros.
var executableExts = map[string]bool{
	".exe": true, ".com": true, ".bat": true, ".cmd": true, ".scr": true, ".pif": true, ".msi": true, ".msp": true,
	".cpl": true, ".dll": true, ".hta": true, ".jar": true, ".js": true, ".jse": true, ".vbs": true, ".vbe": true,
	".wsf": true, ".wsh": true, ".ps1": true, ".psm1": true, ".lnk": true, ".reg": true, ".inf": true, ".url": true,
	".sh": true, ".bash": true, ".zsh": true, ".csh": true, ".run": true, ".bin": true, ".desktop": true,
	".appimage": true, ".deb": true, ".rpm": true, ".py": true, ".pl": true, ".rb": true, ".php": true,
	".app": true, ".dmg": true, ".pkg": true, ".command": true, ".workflow": true, ".action": true,
	".docm": true, ".xlsm": true, ".pptm": true, ".iso": true, ".img": true, ".vhd": true,
}

// IsExecutable reports whether opening an attachment named name with
// content type ctype may run code, so that the user is warned first. A
// name with a control or bidi character counts too, since it may hide its
// real extension.
func IsExecutable(name, ctype string) bool {
	for _, r := range name {
		if r < 0x20 || r == 0x7f || isBidiControl(r) {
			return true
		}
	}
	base := strings.ToLower(strings.TrimRight(strings.TrimSpace(name), ". "))
	if executableExts[filepath.Ext(base)] {
		return true
	}
	switch strings.ToLower(ctype) {
	case "application/x-msdownload", "application/x-msdos-program", "application/x-executable", "application/x-sh",
		"application/x-shellscript", "application/java-archive", "application/x-ms-installer", "application/x-msi",
		"application/vnd.microsoft.portable-executable", "text/x-shellscript", "application/x-desktop":
		return true
	}
	return false
}
