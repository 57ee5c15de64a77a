#!/usr/bin/env bash
# screenshot.sh BIN OUT.png — runs `BIN --demo` in a private Xvfb display,
# waits for the window to fill, and saves a screenshot of the screen.
set -euo pipefail
bin=${1:?usage: screenshot.sh BIN OUT.png}
out=${2:?usage: screenshot.sh BIN OUT.png}
mkdir -p "$(dirname "$out")"
display=:$((90 + RANDOM % 100))
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
home=$(mktemp -d)
trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$home"' EXIT
sleep 1
DISPLAY=$display "$bin" --demo --home "$home" >/dev/null 2>&1 &
app=$!
# Wait for the window, then for sync to fill it.
wid=""
for _ in $(seq 1 60); do
  wid=$(DISPLAY=$display xdotool search --name '^Tern$' 2>/dev/null | head -1) && [ -n "$wid" ] && break
  sleep 0.5
done
[ -n "$wid" ] || { echo "screenshot: no Tern window appeared" >&2; exit 1; }
sleep "${SETTLE:-8}"
# Open the third message of the list, as a user would.
DISPLAY=$display xdotool mousemove --window "$wid" 440 290 click 1
sleep 2
DISPLAY=$display import -window "$wid" "$out"
echo "$out"
