#!/usr/bin/env bash
# `npm test`: installs what is missing, starts Redis/NATS when they are not running, builds, checks the boundaries
# between packages (dependency-cruiser), the generated code and that the contracts break nothing (buf breaking),
# then runs every unit, integration and end-to-end test with node's test runner.
#   npm test               everything
#   npm test -- unit       libs only (fast)
#   npm test -- FILTER     only test files whose path contains FILTER
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/@grpc/grpc-js ] || npm ci --no-audit --no-fund
bash deploy/install-deps.sh
bash deploy/ensure-infra.sh
npx tsc -b
# Package boundaries (.dependency-cruiser.cjs): no deep imports across packages, no service importing another.
npm run --silent lint:deps
bash deploy/gen-check.sh
bash deploy/breaking-check.sh
filter=${1:-}
mapfile -t files < <(find libs services test -path '*/node_modules' -prune -o -path '*/dist/*' -name '*.test.js' -print | sort)
case "$filter" in
  "") ;;
  unit) mapfile -t files < <(printf '%s\n' "${files[@]}" | grep '^libs/') ;;
  *) mapfile -t files < <(printf '%s\n' "${files[@]}" | grep -F -- "$filter") ;;
esac
[ ${#files[@]} -gt 0 ] || { echo "no test files match '$filter'" >&2; exit 1; }
mkdir -p .run/test-logs
# Test files run two at a time: most of their time is spent waiting on VMs, tgtd and Ceph, not on the CPU.
# A file may take 20 minutes: the timeout is for a hang, not a pace. The Linux VM file boots Linux three times under
# TCG (~2 min each alone); on a machine shared with other work (load 20+) it took over 10 minutes and was cut.
exec node --test --test-concurrency="${BMI_TEST_CONCURRENCY:-2}" --test-timeout=1200000 "${files[@]}"
