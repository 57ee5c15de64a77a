# window-lib.sh — shell functions to drive the real Tern window under a
# private Xvfb display with xdotool, for the screenshot and measurement
# scripts (source it; it sets `set -euo pipefail`). Every wait is on
# something seen: Xvfb's report of its display, the window's appearance,
# rows drawn in the list, a window image that changed after an input and
# then stopped changing. Each is bounded by WAIT seconds (default 60).
#
#   window_start ARGS…   start Xvfb and `$bin ARGS…`; sets DISPLAY, wid,
#                        WIDTH, HEIGHT, list_x, list_w; $tmp is scratch
#   capture NAME         the window's image into $tmp/NAME.png
#   until_ok CMD…        run CMD until it succeeds
#   filled               the list shows rows and the window is still
#   row_y K              sets click_y to the middle of the list's row K (1-based)
#   after_input [CROP]   wait until the window (or the CROP region,
#                        WxH+X+Y) changed since the last capture and
#                        stopped changing; $tmp/now.png is then the image
set -euo pipefail
: "${bin:?window-lib.sh: set bin to the tern binary}"
wait_s=${WAIT:-60}
tmp=$(mktemp -d)
app="" xvfb=""
trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$tmp"' EXIT

fail() { echo "$(basename "$0"): $*" >&2; exit 1; }

until_ok() {
  local end=$((SECONDS + wait_s))
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    [ -z "$app" ] || kill -0 "$app" 2>/dev/null || fail "tern exited"$'\n'"$(tail -20 "$tmp/tern.log")"
    sleep 0.2
  done
}

window_start() {
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$tmp/display" >/dev/null 2>&1 &
  xvfb=$!
  until_ok test -s "$tmp/display" || fail "Xvfb did not start"
  export DISPLAY=:$(head -1 "$tmp/display")
  "$bin" "$@" >"$tmp/tern.log" 2>&1 &
  app=$!
  wid=""
  until_ok find_window || fail "no Tern window appeared"$'\n'"$(tail -20 "$tmp/tern.log")"
  eval "$(xdotool getwindowgeometry --shell "$wid")" # WIDTH, HEIGHT
  list_x=$((WIDTH * 22 / 100)) list_w=$((WIDTH * 28 / 100))
}

find_window() { wid=$(xdotool search --onlyvisible --name '^Tern$' 2>/dev/null | head -1) && [ -n "$wid" ]; }

capture() { import -window "$wid" "$tmp/$1.png" 2>/dev/null; }

# same A B [CROP]: the two captures are identical (within CROP).
same() {
  local a="$tmp/$1.png" b="$tmp/$2.png"
  if [ -n "${3:-}" ]; then
    convert "$a" -crop "$3" +repage "$tmp/sa.png" && convert "$b" -crop "$3" +repage "$tmp/sb.png"
    a="$tmp/sa.png" b="$tmp/sb.png"
  fi
  [ "$(compare -metric AE "$a" "$b" null: 2>&1 || true)" = 0 ]
}

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

# row_y K sets click_y to the middle of the list's row K: rows are the gaps
# between consecutive lines whose height is within a few pixels of the most
# common gap.
row_y() {
  click_y=$(rows | awk -v want="$1" '
    NR > 1 { g = $1 - prev; if (g > 20) { gap[NR] = g; top[NR] = prev; c[g]++ } }
    { prev = $1 }
    END {
      for (g in c) if (c[g] > best) { best = c[g]; h = g }
      if (best < 3) exit 1
      k = 0
      for (i = 2; i <= NR; i++) if ((i in gap) && gap[i] >= h - 8 && gap[i] <= h + 8 && ++k == want) { print top[i] + int(h / 2); exit }
      exit 1
    }') && [ -n "$click_y" ]
}

# settled [CROP] captures the window until two captures in a row are the
# same (within CROP: a focused text field's cursor blinks).
settled() {
  capture now || return 1
  if [ -f "$tmp/prev.png" ] && same prev now "${1:-}"; then
    return 0
  fi
  mv "$tmp/now.png" "$tmp/prev.png"
  return 1
}

filled() { settled && row_y 3; }

moved_on() { settled "${1:-}" && ! same base now "${1:-}"; }

after_input() {
  rm -f "$tmp/prev.png"
  until_ok moved_on "${1:-}"
}

# input CMD…: runs the xdotool command CMD after noting the window as it
# is, so that after_input waits for its effect.
input() {
  capture base
  xdotool "$@"
}
