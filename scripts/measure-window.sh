#!/usr/bin/env bash
# measure-window.sh BIN [N] — times the real window under a private Xvfb
# display, over the demo mailbox, or, given N, over an account with N
# messages in its INBOX (scripts/bighome; its password is in the keychain,
# so run it in a keychain session):
#
#   bash scripts/measure-window.sh bin/tern
#   dbus-run-session -- bash scripts/with-keyring.sh bash scripts/measure-window.sh bin/tern 100000
#
#
#   launch  from starting BIN to the window on screen (xdotool) and to the
#           list filled with rows (the window's own trace line), LAUNCHES
#           times (default 3), each a new process;
#   click   from a click on a row (xdotool) to the message's headers and
#           body shown (trace lines), on rows 2 to 5;
#   rss     the resident memory of the process (/proc/PID/status VmRSS)
#           every 30 s for IDLE seconds (default 600) with a message open.
#
# Times come from TERN_TRACE_WINDOW=1 (gui/trace.go): the window writes the
# wall clock when it has set the rows or the message on its widgets; Fyne
# paints them in its next frame. Prints one line per figure.
bin=${1:?usage: measure-window.sh BIN [N]}
big=${2:-}
idle=${IDLE:-600}
launches=${LAUNCHES:-3}
. "$(dirname "$0")/window-lib.sh"
export TERN_TRACE_WINDOW=1
args=(--demo --home "$tmp/home")
if [ -n "$big" ]; then
  (cd "$(dirname "$0")/.." && go run ./scripts/bighome -home "$tmp/home" -n "$big") || fail "could not make the big home"
  args=(--home "$tmp/home")
fi
ms() { echo $((($2 - $1) / 1000000)); }
# cpu: the CPU time tern has used so far, in ms (user + system, 10 ms
# ticks): on a loaded machine the wall times above mostly wait for a core.
cpu() { awk '{ print ($14 + $15) * 10 }' "/proc/$app/stat"; }
now() { date +%s%N; }
# traced EVENT AFTER: the time of the first EVENT trace line after line AFTER.
traced() { tail -n +$(($2 + 1)) "$tmp/tern.log" | awk -v e="$1" '$1 == "tern-trace" && $2 == e { print $3; exit }'; }
has_trace() { [ -n "$(traced "$1" "$2")" ]; }

Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$tmp/display" >/dev/null 2>&1 &
xvfb=$!
until_ok test -s "$tmp/display" || fail "Xvfb did not start"
export DISPLAY=:$(head -1 "$tmp/display")

for i in $(seq "$launches"); do
  [ -z "$app" ] || { kill "$app"; wait "$app" 2>/dev/null || true; app=""; }
  : >"$tmp/tern.log"
  t0=$(now)
  "$bin" "${args[@]}" >"$tmp/tern.log" 2>&1 &
  app=$!
  until_ok find_window || fail "no Tern window appeared"$'\n'"$(tail -20 "$tmp/tern.log")"
  t_win=$(now)
  until_ok has_trace rows 0 || fail "no rows in the list"$'\n'"$(tail -20 "$tmp/tern.log")"
  echo "launch $i: window on screen $(ms "$t0" "$t_win") ms (polled every 0.2 s), rows in the list $(ms "$t0" "$(traced rows 0)") ms, cpu $(cpu) ms by then"
done

eval "$(xdotool getwindowgeometry --shell "$wid")"
list_x=$((WIDTH * 22 / 100)) list_w=$((WIDTH * 28 / 100))
rm -f "$tmp/prev.png"
until_ok filled || fail "the list did not fill"
for k in 2 3 4 5; do
  row_y "$k" || fail "no row $k"
  before=$(wc -l <"$tmp/tern.log")
  c0=$(cpu)
  t0=$(now)
  xdotool mousemove --window "$wid" $((list_x + list_w / 2)) "$click_y" click 1
  until_ok has_trace body "$before" || fail "row $k's message was not shown"$'\n'"$(tail -20 "$tmp/tern.log")"
  echo "click row $k: headers $(ms "$t0" "$(traced headers "$before")") ms, body $(ms "$t0" "$(traced body "$before")") ms, cpu $(($(cpu) - c0)) ms"
  rm -f "$tmp/prev.png"
  until_ok settled || fail "the window did not settle"
done

rss() { awk '/^VmRSS/ { print int($2 / 1024) }' "/proc/$app/status"; }
end=$((SECONDS + idle))
peak=0
while :; do
  r=$(rss)
  [ "$r" -le "$peak" ] || peak=$r
  echo "rss at $((idle - (end - SECONDS))) s: $r MB"
  [ $SECONDS -lt "$end" ] || break
  sleep 30
done
echo "rss after $idle s idle with a message open: $(rss) MB (peak $peak MB)"
