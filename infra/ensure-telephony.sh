#!/usr/bin/env bash
# Makes the SIP tests (test/sip) runnable when it can, and says plainly what it skipped when it cannot:
#   - sipp (apt sip-tester), baresip (apt baresip-core), sox and espeak-ng (TTS for the drachtio driver) from apt;
#   - drachtio-server (/opt/drachtio) and FreeSWITCH (/opt/freeswitch) from ../shared/telephony/install.sh
#     when that folder exists (prebuilt for Debian 12 x86_64); elsewhere use the official images (test/sip/README.md).
# Never fails the suite: without these tools the SIP tests skip with one line naming what is missing.
# SWITCHYARD_SKIP_TELEPHONY=1 skips every install.
set -uo pipefail
cd "$(dirname "$0")/.."
log() { echo "telephony: $*" >&2; }

if [ "${SWITCHYARD_SKIP_TELEPHONY:-0}" = 1 ]; then
  log "SWITCHYARD_SKIP_TELEPHONY=1: installing nothing (SIP tests skip what is missing)"
  exit 0
fi

root=0; [ "$(id -u)" = 0 ] && root=1
missing=()
for pkg in sip-tester baresip-core sox espeak-ng; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ $root = 1 ] && command -v apt-get >/dev/null 2>&1; then
    log "apt-get install ${missing[*]}"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
      log "could not apt-get install ${missing[*]}: the SIP tests needing them will skip"
    fi
  else
    log "not root (or no apt): not installing ${missing[*]}; the SIP tests needing them will skip"
  fi
fi

if [ -x /opt/drachtio/bin/drachtio ] && [ -x /opt/freeswitch/bin/freeswitch ]; then
  exit 0
fi
shared=../shared/telephony
if [ -f "$shared/install.sh" ]; then
  if [ $root = 1 ]; then
    log "installing drachtio-server and FreeSWITCH from $shared (install.sh)"
    bash "$shared/install.sh" >&2 || log "$shared/install.sh failed: the SIP tests will skip"
  else
    log "not root: not running $shared/install.sh; the SIP tests will skip"
  fi
else
  log "skipped: /opt/drachtio or /opt/freeswitch missing and no $shared folder here;" \
    "the SIP tests will skip (run them with the official images: test/sip/README.md)"
fi
exit 0
