#!/usr/bin/env bash
# screenshot.sh BIN OUT.png — runs `BIN --demo` in a private Xvfb display,
# waits until the window shows the message list, opens the third message as
# a user would (a click on its row), waits until the window has drawn it,
# and saves a screenshot of the window.
#
# Every wait is on what it means, bounded by WAIT seconds (default 60):
# Xvfb's own report of its display, the window's appearance (xdotool), rows
# in the list found on screen, and a window that has stopped changing. No
# position is fixed: the list pane is a fraction of the window's geometry,
# and the rows are found from the lines between them.
set -euo pipefail
bin=${1:?usage: screenshot.sh BIN OUT.png}
out=${2:?usage: screenshot.sh BIN OUT.png}
wait_s=${WAIT:-60}
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d)
app="" xvfb=""
trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$tmp"' EXIT

fail() { echo "screenshot: $*" >&2; exit 1; }

# until CMD…: runs CMD every 0.2 s until it succeeds, for at most WAIT s.
until_ok() {
  local end=$((SECONDS + wait_s))
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    [ -z "$app" ] || kill -0 "$app" 2>/dev/null || fail "tern exited"
    sleep 0.2
  done
}

# Xvfb picks a free display and writes its number once it accepts clients.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$tmp/display" >/dev/null 2>&1 &
xvfb=$!
until_ok test -s "$tmp/display" || fail "Xvfb did not start"
export DISPLAY=:$(head -1 "$tmp/display")

"$bin" --demo --home "$tmp/home" >"$tmp/tern.log" 2>&1 &
app=$!
wid=""
find_window() { wid=$(xdotool search --onlyvisible --name '^Tern$' 2>/dev/null | head -1) && [ -n "$wid" ]; }
until_ok find_window || fail "no Tern window appeared"$'\n'"$(tail -20 "$tmp/tern.log")"
eval "$(xdotool getwindowgeometry --shell "$wid")" # WIDTH, HEIGHT
list_x=$((WIDTH * 22 / 100)) list_w=$((WIDTH * 28 / 100))

capture() { import -window "$wid" "$tmp/$1.png" 2>/dev/null; }

# rows prints the y of each line between rows of the message list in the
# last capture: a pixel row of the list pane that is all one colour, but
# not the pane's background.
rows() {
  convert "$tmp/now.png" -crop "${list_w}x${HEIGHT}+${list_x}+0" +repage -colorspace gray -depth 8 txt:- |
    awk -F'[,: ]+' 'NR > 1 {
      y = $2; v = $0; sub(/.*gray\(/, "", v); sub(/\).*/, "", v)
      if (!(y in lo) || v < lo[y]) lo[y] = v
      if (!(y in hi) || v > hi[y]) hi[y] = v
      n[v]++; if (y > maxy) maxy = y
    } END {
      for (v in n) if (n[v] > best) { best = n[v]; bg = v }
      for (y = 0; y <= maxy; y++) if ((y in lo) && lo[y] == hi[y] && lo[y] != bg) print y
    }'
}

# third_row sets click_y to the middle of the list's third row: rows are
# the gaps between consecutive lines whose height is within a few pixels of
# the most common gap (the first row, under the list's top edge, is a
# little taller).
third_row() {
  click_y=$(rows | awk '
    NR > 1 { g = $1 - prev; if (g > 20) { gap[NR] = g; top[NR] = prev; c[g]++ } }
    { prev = $1 }
    END {
      for (g in c) if (c[g] > best) { best = c[g]; h = g }
      if (best < 3) exit 1
      k = 0
      for (i = 2; i <= NR; i++) if ((i in gap) && gap[i] >= h - 8 && gap[i] <= h + 8 && ++k == 3) { print top[i] + int(h / 2); exit }
      exit 1
    }') && [ -n "$click_y" ]
}

# settled captures the window until two captures in a row are the same.
settled() {
  capture now || return 1
  if [ -f "$tmp/prev.png" ] && [ "$(compare -metric AE "$tmp/prev.png" "$tmp/now.png" null: 2>&1 || true)" = 0 ]; then
    return 0
  fi
  mv "$tmp/now.png" "$tmp/prev.png"
  return 1
}

# The window is filled when its list shows rows and it has stopped
# changing (the sync is over, the status bar says so).
filled() { settled && third_row; }
until_ok filled || fail "the message list did not fill"$'\n'"$(tail -20 "$tmp/tern.log")"
cp "$tmp/now.png" "$tmp/before.png"

xdotool mousemove --window "$wid" $((list_x + list_w / 2)) "$click_y" click 1

# The message is open when the reader pane shows it, not the "Select a
# message" or "Loading…" line (an open message draws a few hundred shades
# of antialiased text, those lines about sixty), and the window has
# stopped changing.
rm -f "$tmp/prev.png"
reader_x=$((WIDTH * 55 / 100))
opened() {
  settled && [ "$(convert "$tmp/now.png" -crop "$((WIDTH - reader_x))x${HEIGHT}+${reader_x}+0" +repage -format %k info:)" -ge 150 ]
}
until_ok opened || fail "the message did not open after the click"
cp "$tmp/now.png" "$out"
echo "$out"
