#!/usr/bin/env bash
# Installs the Debian packages BMI's services and tests use. Idempotent: packages already present are skipped,
# and apt is only touched when something is missing. Set BMI_SKIP_APT=1 to never call apt-get.
set -euo pipefail
want=(tgt tgt-rbd libiscsi-bin qemu-system-x86 qemu-utils qemu-block-extra ipxe-qemu ipxe dnsmasq-base nasm iproute2
      fuse3 ipmitool ovmf ceph-mon ceph-osd ceph-mgr ceph-common librbd1 librados2 nats-server redis-server uuid-runtime
      protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf zsh)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "${BMI_SKIP_APT:-0}" = 1 ] && { echo "missing packages (BMI_SKIP_APT=1): ${missing[*]}" >&2; exit 1; }
echo "installing: ${missing[*]}" >&2
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# Services must not be started by package scripts: the stack starts what it needs itself.
policy=/usr/sbin/policy-rc.d; made_policy=0
if [ ! -e $policy ]; then printf '#!/bin/sh\nexit 101\n' | $SUDO tee $policy >/dev/null; $SUDO chmod +x $policy; made_policy=1; fi
trap '[ $made_policy = 1 ] && $SUDO rm -f $policy' EXIT
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
