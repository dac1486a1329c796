#!/usr/bin/env bash
# `npm run gen`: writes everything generated from proto/*.proto where it is committed, after buf lint:
#   proto/gen            TypeScript (ts-proto) and the descriptor set bmi.binpb (buf build, with comments)
#   clients/python/bmi   Python messages, type stubs and gRPC stubs (Debian's protoc and grpc_python_plugin)
#   docs/api.md          the API reference, from the proto comments (deploy/api-reference.js)
# With a directory argument it writes the same tree under that directory instead and builds nothing: gen-check.sh
# compares such a copy with the committed one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root}
command -v protoc >/dev/null && command -v grpc_python_plugin >/dev/null ||
  { echo "protoc and grpc_python_plugin are missing: run deploy/install-deps.sh" >&2; exit 1; }
cd "$root/proto"
buf=$root/node_modules/.bin/buf
$buf lint
$buf generate -o "$out/proto"
$buf build -o "$out/proto/gen/bmi.binpb"
rm -rf "$out/clients/python/bmi"
mkdir -p "$out/clients/python" "$out/docs"
$buf generate --template buf.gen.python.yaml -o "$out/clients/python"
# Regular packages, not namespace ones: `bmi` then never merges with another directory of that name on the path.
find "$out/clients/python/bmi" -type d -exec touch {}/__init__.py \;
node "$root/deploy/api-reference.js" "$out/proto/gen/bmi.binpb" ${BMI_API_REFERENCE_STRICT:+--strict} > "$out/docs/api.md"
if [ "$out" = "$root" ]; then "$root/node_modules/.bin/tsc" -b "$root/proto"; fi
