#!/usr/bin/env bash
# Makes the what-if report's browser test (test/cli/whatif-report.e2e.test.ts) runnable: Debian's chromium from
# apt when it is missing (as root). Never fails the suite: without chromium that test skips, saying why.
# SWITCHYARD_SKIP_CHROMIUM=1 installs nothing.
set -uo pipefail
log() { echo "chromium: $*" >&2; }
if [ "${SWITCHYARD_SKIP_CHROMIUM:-0}" = 1 ]; then
  log "SWITCHYARD_SKIP_CHROMIUM=1: installing nothing (the report's browser test skips)"
  exit 0
fi
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  log "apt-get install chromium"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; then
    log "could not apt-get install chromium: the report's browser test will skip"
  fi
else
  log "not root (or no apt): not installing chromium; the report's browser test will skip"
fi
exit 0
