#!/usr/bin/env bash
# The SIP demo: drachtio-server, FreeSWITCH and the platform on loopback, baresip phones as agents and callers,
# a handful of calls through IVR, simultaneous ring, whisper, a queue and a warm transfer; prints what every
# phone heard. From a fresh clone on a fresh Debian machine (as root): installs what is missing first
# (Node.js/pnpm, PostgreSQL/NATS, sipp/baresip/sox/espeak-ng, drachtio-server/FreeSWITCH from ../shared/telephony).
# `--stay` keeps it running afterwards for your own softphone.
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/bootstrap.sh
eval "$(bash infra/ensure-services.sh)"
export DATABASE_URL NATS_URL
bash infra/ensure-telephony.sh
cd test
exec node --import tsx sip/demo.ts "$@"
