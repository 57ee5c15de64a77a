#!/usr/bin/env bash
# with-keyring.sh CMD… — inside a D-Bus session (dbus-run-session), starts and
# unlocks a throwaway gnome-keyring in a temp home, then runs CMD.
set -euo pipefail
kr_home=$(mktemp -d)
trap 'rm -rf "$kr_home"' EXIT
export XDG_DATA_HOME="$kr_home/data" XDG_RUNTIME_DIR="$kr_home/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
eval "$(printf 'tern-test' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
"$@"
