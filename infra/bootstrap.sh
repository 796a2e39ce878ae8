#!/usr/bin/env bash
# Makes a fresh Debian machine (as root) ready to build and run Switchyard: Node.js >= 20.19, the pinned
# pnpm, and the workspace's dependencies. Safe to run again; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_node() {
  command -v node >/dev/null 2>&1 || return 0
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?1:0)'
}

apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then echo "switchyard: need root to apt-get install $*" >&2; exit 1; fi
  if [ $apt_updated = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if need_node; then
  echo "switchyard: installing Node.js 20 (Debian's nodejs + npm, then node@20 from the npm registry)" >&2
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm ca-certificates
  # Debian 12's nodejs is 18; the npm registry's `node` package ships a Node 20 binary.
  npm install -g --no-fund --no-audit node@20 >/dev/null
  hash -r
  need_node && { echo "switchyard: could not install Node.js >= 20.19" >&2; exit 1; }
fi

pnpm_version=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  npm install -g --no-fund --no-audit "pnpm@$pnpm_version" >/dev/null
  hash -r
fi

if [ ! -d node_modules/.pnpm ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ]; then
  pnpm install --frozen-lockfile --reporter=silent
fi
