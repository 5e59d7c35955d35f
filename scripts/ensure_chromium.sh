#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (Playwright never downloads a browser here):
# install it from Debian's packages when it is missing, e.g. on a fresh CI machine.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  exit 0
fi
echo "Chromium is missing; installing it from Debian's packages"
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure_chromium.sh: installing needs root (apt-get install chromium)" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
"$CHROMIUM" --version
