#!/usr/bin/env bash
# deps.sh run|test — installs the Debian/Ubuntu packages Tern needs to build
# and run (run), or to run the whole test suite (test), when they are missing.
set -euo pipefail

run_pkgs=(gcc pkg-config libgl1-mesa-dev libx11-dev libxext-dev libxcursor-dev
  libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev)
test_pkgs=("${run_pkgs[@]}" dovecot-imapd dovecot-lmtpd postfix xvfb xauth
  gnome-keyring dbus dbus-x11 xdotool imagemagick make desktop-file-utils appstream)

case "${1:-run}" in
  run) want=("${run_pkgs[@]}") ;;
  test) want=("${test_pkgs[@]}") ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

if ! command -v go >/dev/null 2>&1; then
  echo "Go is not installed: install Go 1.26 or newer from https://go.dev/dl/ (or your distribution)" >&2
  exit 1
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "not a Debian/Ubuntu system: install the equivalents of: ${want[*]}" >&2
  exit 0
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# Postfix asks how to configure itself; Tern's tests run their own instance.
echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections 2>/dev/null || true
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
