#!/usr/bin/env bash
# screenshot-health.sh BIN OUT.png|DIR — the README's picture of Account health
# for an account set to a wrong port. Run it in a keyring session, as root
# (the demo server takes ports 993 and 465 of 127.0.0.1):
#
#   dbus-run-session -- bash scripts/with-keyring.sh bash scripts/screenshot-health.sh BIN OUT.png
#
# It serves the demo mailbox with TLS on 127.0.0.1:993 and :465
# (scripts/healthserver, its certificate trusted through SSL_CERT_FILE),
# adds the account with `BIN account add`, then sets its IMAP server to
# port 143 with STARTTLS, where nothing listens, as a person who typed the
# wrong port would. It opens the window in a private Xvfb display,
# right-clicks the account's row in the folder tree, chooses Account
# health…, and saves the health window once it has stopped changing (the
# progress bar moves until the check is over).
#
# Every wait is on what it means, bounded by WAIT seconds (default 60).
set -euo pipefail
bin=$(realpath "${1:?usage: screenshot-health.sh BIN OUT.png}")
out=${2:?usage: screenshot-health.sh BIN OUT.png}
[ -d "$out" ] && out=$out/health.png # as `make screenshots` calls it
wait_s=${WAIT:-60}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d)
srv="" app="" xvfb=""
trap 'kill $app $srv $xvfb 2>/dev/null || true; rm -rf "$tmp"' EXIT

fail() { echo "screenshot-health: $*" >&2; exit 1; }

until_ok() {
  local end=$((SECONDS + wait_s))
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    [ -z "$app" ] || kill -0 "$app" 2>/dev/null || fail "tern exited"$'\n'"$(tail -20 "$tmp/tern.log")"
    sleep 0.2
  done
}

(cd "$here" && go build -o "$tmp/healthserver" ./scripts/healthserver)
"$tmp/healthserver" "$tmp" >"$tmp/server.log" 2>&1 &
srv=$!
until_ok grep -q ready "$tmp/server.log" || fail "the server did not start: $(cat "$tmp/server.log")"
export SSL_CERT_FILE=$tmp/cert.pem

home=$tmp/home
"$bin" --home "$home" account add --email "$(cat "$tmp/user")" --name "Alice (work)" --password-stdin \
  --imap 127.0.0.1:993:tls --smtp 127.0.0.1:465:tls <"$tmp/password" >/dev/null
toml=$(find "$home" -name accounts.toml | head -1)
[ -n "$toml" ] || fail "no accounts.toml"
# The wrong port: IMAP on 143 with STARTTLS.
sed -i '/\[accounts.imap\]/,/\[accounts.smtp\]/{s/port = 993/port = 143/;s/security = "tls"/security = "starttls"/}' "$toml"
grep -q 'port = 143' "$toml" || fail "could not set the wrong port"

Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$tmp/display" >/dev/null 2>&1 &
xvfb=$!
until_ok test -s "$tmp/display" || fail "Xvfb did not start"
export DISPLAY=:$(head -1 "$tmp/display")

"$bin" --home "$home" >"$tmp/tern.log" 2>&1 &
app=$!
wid=""
find_window() { wid=$(xdotool search --onlyvisible --name "^$1" 2>/dev/null | head -1) && [ -n "$wid" ]; }
until_ok find_window Tern || fail "no Tern window appeared"$'\n'"$(tail -20 "$tmp/tern.log")"

# settled W captures window W until two captures in a row are the same.
settled() {
  import -window "$1" "$tmp/now.png" 2>/dev/null || return 1
  if [ -f "$tmp/prev.png" ] && [ "$(compare -metric AE "$tmp/prev.png" "$tmp/now.png" null: 2>&1 || true)" = 0 ]; then
    return 0
  fi
  mv "$tmp/now.png" "$tmp/prev.png"
  return 1
}
until_ok settled "$wid" || fail "the window did not settle"
[ -z "${DEBUG:-}" ] || cp "$tmp/now.png" "$DEBUG-main.png"

# The account's row is the first of the folder tree, under the menu bar
# and the toolbar (93 px from the top at Fyne's default theme and scale);
# a right click there opens its menu, whose first item, just below the
# pointer, is Account health….
row_x=100 row_y=93
xdotool mousemove --window "$wid" $row_x $row_y click 3 2>/dev/null
rm -f "$tmp/prev.png"
until_ok settled "$wid" || fail "the menu did not settle"
[ -z "${DEBUG:-}" ] || cp "$tmp/now.png" "$DEBUG-menu.png"
xdotool mousemove --window "$wid" $((row_x + 40)) $((row_y + 18)) click 1 2>/dev/null
hwid=""
find_health() { hwid=$(xdotool search --onlyvisible --name '^Account health' 2>/dev/null | head -1) && [ -n "$hwid" ]; }
until_ok find_health || fail "no Account health window appeared"
rm -f "$tmp/prev.png"
until_ok settled "$hwid" || fail "the health window did not settle"
cp "$tmp/now.png" "$out"
echo "$out"
