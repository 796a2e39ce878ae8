#!/usr/bin/env bash
# Generates the admin API's TypeScript (ts-proto, grpc-js services) and a descriptor set (for server
# reflection) from proto/ into src/gen/. Run through `pnpm generate` (node_modules/.bin on PATH).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../proto"
buf generate --template buf.gen.yaml
buf build --as-file-descriptor-set -o "$here/src/gen/descriptor.binpb"
