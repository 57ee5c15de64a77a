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
# and the rows are found from the lines between them (scripts/window-lib.sh).
bin=${1:?usage: screenshot.sh BIN OUT.png}
out=${2:?usage: screenshot.sh BIN OUT.png}
. "$(dirname "$0")/window-lib.sh"
mkdir -p "$(dirname "$out")"

window_start --demo --home "$tmp/home"
# The window is filled when its list shows rows and it has stopped
# changing (the sync is over, the status bar says so).
until_ok filled || fail "the message list did not fill"$'\n'"$(tail -20 "$tmp/tern.log")"

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
