#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser tests (npm run test:browser). Playwright's own
# browser download cannot work offline, so the tests drive /usr/bin/chromium with playwright-core.
# Exits 0 when Chromium is there (or was installed), non-zero with one line when it cannot be had.
set -u
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing and there is no apt-get to install it (install Chromium and set CHROMIUM_PATH)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "ensure-chromium: $CHROMIUM is missing and installing it needs root (apt-get install chromium)" >&2
    exit 1
  fi
fi
log="$(mktemp)"
if ! { $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium; } >"$log" 2>&1; then
  why="$(grep -E '^(E|Err):' "$log" | head -n 1)"
  echo "ensure-chromium: apt-get install chromium failed: ${why:-$(tail -n 1 "$log")}" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
if [ ! -x "$CHROMIUM" ]; then
  echo "ensure-chromium: apt-get installed chromium but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "ensure-chromium: installed $("$CHROMIUM" --version 2>/dev/null | head -n 1)"
