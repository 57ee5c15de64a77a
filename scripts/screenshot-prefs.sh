#!/usr/bin/env bash
# screenshot-prefs.sh BIN OUTDIR — the README's theme and Preferences
# screenshots: runs `BIN --demo` in a private Xvfb display twice, once with
# settings.toml choosing the light theme and once the dark, opens the first
# message (j), and saves OUTDIR/light.png and OUTDIR/dark.png; in the dark
# run it also opens Preferences (Ctrl+,) and saves OUTDIR/preferences.png.
#
# Every wait is on what it means, bounded by WAIT seconds (default 90):
# Xvfb's report of its display, the window's appearance (xdotool), and a
# window that has stopped changing (two captures in a row the same).
set -euo pipefail
bin=${1:?usage: screenshot-prefs.sh BIN OUTDIR}
outdir=${2:?usage: screenshot-prefs.sh BIN OUTDIR}
wait_s=${WAIT:-90}
mkdir -p "$outdir"
tmp=$(mktemp -d)
app="" xvfb=""
trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$tmp"' EXIT

fail() { echo "screenshot-prefs: $*" >&2; exit 1; }

until_ok() {
  local end=$((SECONDS + wait_s))
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    [ -z "$app" ] || kill -0 "$app" 2>/dev/null || fail "tern exited"$'\n'"$(tail -20 "$tmp/tern.log")"
    sleep 0.5
  done
}

Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$tmp/display" >/dev/null 2>&1 &
xvfb=$!
until_ok test -s "$tmp/display" || fail "Xvfb did not start"
export DISPLAY=:$(head -1 "$tmp/display")

wid=""
# find_window NAME sets wid to the visible window titled exactly NAME.
find_window() { wid=$(xdotool search --onlyvisible --name "^$1\$" 2>/dev/null | head -1) && [ -n "$wid" ]; }

# settled captures window $wid until two captures in a row are the same.
settled() {
  import -window "$wid" "$tmp/now.png" 2>/dev/null || return 1
  if [ -f "$tmp/prev.png" ] && [ "$(compare -metric AE "$tmp/prev.png" "$tmp/now.png" null: 2>&1 || true)" = 0 ]; then
    return 0
  fi
  mv "$tmp/now.png" "$tmp/prev.png"
  return 1
}

# filled: settled, and the window shows a list with text in it (hundreds
# of shades of antialiased text, not a "Loading…" line).
filled() { settled && [ "$(convert "$tmp/now.png" -format %k info:)" -ge 400 ]; }

shoot() { # shoot THEME
  local theme=$1 home="$tmp/home-$1"
  mkdir -p "$home"
  printf 'version = 1\ntheme = "%s"\n\n[window]\nwidth = 1200.0\nheight = 720.0\n' "$theme" >"$home/settings.toml"
  "$bin" --demo --home "$home" >"$tmp/tern.log" 2>&1 &
  app=$!
  until_ok find_window Tern || fail "no Tern window appeared"
  rm -f "$tmp/prev.png"
  until_ok filled || fail "the $theme window did not fill"
  xdotool windowfocus --sync "$wid" 2>/dev/null || true
  xdotool key --window "$wid" j
  rm -f "$tmp/prev.png"
  until_ok settled || fail "the $theme window did not settle after opening a message"
  cp "$tmp/now.png" "$outdir/$theme.png"
  echo "$outdir/$theme.png"
  if [ "$theme" = dark ]; then
    xdotool key --window "$wid" ctrl+comma
    until_ok find_window "Tern Preferences" || fail "Ctrl+, opened no Preferences window"
    rm -f "$tmp/prev.png"
    until_ok settled || fail "the Preferences window did not settle"
    cp "$tmp/now.png" "$outdir/preferences.png"
    echo "$outdir/preferences.png"
  fi
  kill "$app"
  wait "$app" 2>/dev/null || true
  app=""
}

shoot light
shoot dark
