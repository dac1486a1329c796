#!/usr/bin/env bash
# `npm run demo [-- --ceph] [-- --keep] [-- --linux]`: on a fresh Debian machine, installs what BMI needs, builds it, brings the
# stack up (Redis/NATS where none answers, the five services with their embedded defaults), and runs the demo: VM
# nodes network-boot their own iSCSI disks, cloned, snapshotted and re-provisioned through the orchestrator.
# --ceph (or BMI_IMAGE_DRIVER=ceph): images and disks in Ceph RBD, a single-node cluster the stack starts unless
# BMI_IMAGE_CEPH_CONF names one. Afterwards it stops the stack it started; --keep leaves it running.
# --linux (or BMI_DEMO_LINUX=true): one more node boots Debian from its BMI disk (deploy/linux-image; the first run
# builds the image, about 4 minutes, later runs reuse it; the boot itself takes about a minute under TCG).
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0
storage=()
[ "${BMI_IMAGE_DRIVER:-}" = ceph ] && storage=(--ceph)
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    --ceph) storage=(--ceph) ;;
    --linux) export BMI_DEMO_LINUX=true ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown option $arg (--ceph, --keep, --linux)" >&2; exit 64 ;;
  esac
done
# The demo checks that image-service really stores its images there.
[ ${#storage[@]} -gt 0 ] && export BMI_DEMO_BACKEND=ceph

echo "== install: Debian packages (deploy/install-deps.sh) and npm dependencies"
bash deploy/install-deps.sh
[ -d node_modules ] || npm install --no-audit --no-fund
echo "== build"
npm run build --silent

# The demo's VMs sit on QEMU's user network, which NATs their connections to the host: the stack's defaults
# (boot scripts at http://10.0.2.2:8080, targets advertised at 127.0.0.1:3260) reach the host's loopback as they are.
was_up=0
node deploy/stack.js status >/dev/null 2>&1 && was_up=1
finish() {
  rc=$?
  if [ $was_up = 1 ]; then
    echo "== the stack was already running before the demo: left as it was"
  elif [ $keep = 1 ]; then
    echo "== the stack is still running (--keep): npm run stack:status to see it, npm run stack:down to stop it"
  else
    echo "== stopping the stack"
    node deploy/stack.js down || true
  fi
  exit $rc
}
trap finish EXIT
echo "== stack up${storage[*]:+ (${storage[*]})}"
node deploy/stack.js up "${storage[@]}"
echo "== demo"
node test/dist/demo/main.js
