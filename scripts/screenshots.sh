#!/usr/bin/env bash
# screenshots.sh BIN DIR — the README's pictures of the real window over
# the demo mailbox (`BIN --demo`) in a private Xvfb display, driven with
# xdotool as a user would, saved into DIR:
#
#   search.png         a query with operators typed into the search field
#   multiselect.png    a range Shift+clicked and starred (`s`): the rows stay
#                      selected and the toast offers Undo
#   conversations.png  the Conversations switch on
#   cheatsheet.png     the keys (F1)
#
# Each step waits for the window to change after its input and then stop
# changing (scripts/window-lib.sh). `make screenshots` runs this, then
# scripts/screenshot.sh (the README's first picture), then every
# scripts/screenshot-*.sh with the same two arguments.
bin=${1:?usage: screenshots.sh BIN DIR}
dir=${2:?usage: screenshots.sh BIN DIR}
. "$(dirname "$0")/window-lib.sh"
mkdir -p "$dir"

window_start --demo --home "$tmp/home"
until_ok filled || fail "the message list did not fill"$'\n'"$(tail -20 "$tmp/tern.log")"
list="${list_w}x$((HEIGHT * 8 / 10))+${list_x}+$((HEIGHT / 10))" # the list pane, not the search field

# Search: Ctrl+K, a query with operators; the list shows the results.
input key --window "$wid" ctrl+k
xdotool type --window "$wid" --delay 40 'from:priya'
after_input "$list" || fail "no search results"
cp "$tmp/now.png" "$dir/search.png"
input key --window "$wid" Escape
after_input "$list" || fail "the search did not end on Escape"
until_ok filled || fail "the list did not come back after the search"

# A multi-selection: a click on row 2, Shift+click on row 5, then `s`.
row_y 2 || fail "no row 2"
input mousemove --window "$wid" $((list_x + list_w / 2)) "$click_y" click 1
after_input || fail "the click selected nothing"
row_y 5 || fail "no row 5"
input keydown shift mousemove --window "$wid" $((list_x + list_w / 2)) "$click_y" click 1 keyup shift
after_input || fail "Shift+click selected nothing"
toast="$((WIDTH / 2))x$((HEIGHT / 12))+$((WIDTH / 2))+$((HEIGHT - HEIGHT / 12))" # the status bar's right half
input key --window "$wid" s
after_input "$toast" || fail "no toast after starring"
until_ok settled || fail "the window did not settle with the toast"
cp "$tmp/now.png" "$dir/multiselect.png"
input key --window "$wid" ctrl+z
after_input "$toast" || fail "the toast did not go after Ctrl+Z"
until_ok settled || fail "the window did not settle after the undo"

# Conversations: the switch above the list (its label, left in the list
# pane, under the toolbar).
input mousemove --window "$wid" $((list_x + 40)) $((HEIGHT * 124 / 1000)) click 1
after_input "$list" || fail "the Conversations switch did not change the list"
until_ok filled || fail "no conversations shown"
row_y 3 || fail "no conversation in row 3"
input mousemove --window "$wid" $((list_x + list_w / 2)) "$click_y" click 1
after_input || fail "the click on a conversation showed nothing"
cp "$tmp/now.png" "$dir/conversations.png"

# The cheat sheet, from the flat list: the switch off again, and a click
# on a row to give the list the keyboard (the conversation list does not
# take it).
input mousemove --window "$wid" $((list_x + 40)) $((HEIGHT * 124 / 1000)) click 1
after_input "$list" || fail "the Conversations switch did not go off"
until_ok filled || fail "no rows after the Conversations switch went off"
row_y 2 || fail "no row 2"
input mousemove --window "$wid" $((list_x + list_w / 2)) "$click_y" click 1
after_input || fail "the click on row 2 showed nothing"
input key --window "$wid" F1
after_input || fail "F1 showed nothing"
cp "$tmp/now.png" "$dir/cheatsheet.png"
ls "$dir"/{search,multiselect,conversations,cheatsheet}.png
