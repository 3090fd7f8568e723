#!/usr/bin/env bash
# readme_lua.sh README MODULE_DIR: the README's Lua tour (its ```lua block)
# runs unchanged under lua5.4 and luajit, each with its own module build.
set -euo pipefail
readme=$1 modules=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk '/^```lua$/ { on = 1; next } /^```$/ { if (on) exit } on' "$readme" > "$tmp/tour.lua"
[ -s "$tmp/tour.lua" ] || { echo "no \`\`\`lua block in $readme"; exit 1; }
for pair in lua54:lua5.4 luajit:luajit; do
  if ! LUA_CPATH="$modules/${pair%%:*}/?.so" "${pair##*:}" "$tmp/tour.lua" > "$tmp/out" 2>&1; then
    echo "the README's tour fails under ${pair##*:}:"; cat "$tmp/out"; exit 1
  fi
  grep -q '^42$' "$tmp/out" || { echo "the tour under ${pair##*:} did not print 42:"; cat "$tmp/out"; exit 1; }
done
echo "the README's tour runs under lua5.4 and luajit"
