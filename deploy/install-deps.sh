#!/usr/bin/env bash
# Installs the Debian packages BMI's services and tests use, then tgt's rbd backing store patched to share one Ceph
# client per tgtd (deploy/tgt/build.sh: built from Debian's tgt source, cached) and BMI's qemu-storage-daemon, whose
# QMP monitor reads many bytes per system call (deploy/qemu/build.sh: built from Debian's qemu source, cached; about
# 5 minutes the first time on two cores). Idempotent: packages already present are skipped, apt is only touched when
# something is missing, and the patched programs are only built when the installed tgt or qemu or a patch changed.
# Set BMI_SKIP_APT=1 to never call apt-get.
set -euo pipefail
want=(tgt tgt-rbd libiscsi-bin qemu-system-x86 qemu-utils qemu-block-extra ipxe-qemu ipxe dnsmasq-base nasm iproute2
      fuse3 ipmitool ovmf ceph-mon ceph-osd ceph-mgr ceph-common librbd1 librados2 nats-server redis-server uuid-runtime
      protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf zsh redis-sentinel
      mmdebstrap syslinux syslinux-common mtools dosfstools e2fsprogs fdisk
      librbd-dev librados-dev gcc make patch dpkg-dev)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
tgt_rbd=$(dirname "$0")/tgt/build.sh
qsd=$(dirname "$0")/qemu/build.sh
[ ${#missing[@]} -eq 0 ] && "$tgt_rbd" --check && "$qsd" --check && exit 0
[ "${BMI_SKIP_APT:-0}" = 1 ] && { echo "missing (BMI_SKIP_APT=1): ${missing[*]} ${missing:+and }the patched tgt or qemu-storage-daemon" >&2; exit 1; }
[ ${#missing[@]} -eq 0 ] || echo "installing: ${missing[*]}" >&2
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# Services must not be started by package scripts: the stack starts what it needs itself.
policy=/usr/sbin/policy-rc.d; made_policy=0
if [ ! -e $policy ]; then printf '#!/bin/sh\nexit 101\n' | $SUDO tee $policy >/dev/null; $SUDO chmod +x $policy; made_policy=1; fi
trap '[ $made_policy = 1 ] && $SUDO rm -f $policy' EXIT
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
"$tgt_rbd"
"$qsd"
