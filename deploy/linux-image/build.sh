#!/usr/bin/env bash
# Builds BMI's Linux golden image: a BIOS-bootable raw disk whose root file system lives on the iSCSI disk BMI
# exports. Debian 12 packages only (mmdebstrap), no loop mounts: the root is made with `mke2fs -d`, the boot
# partition with mkfs.fat + mtools + `syslinux --install` on the partition file, the MBR from syslinux's mbr.bin,
# and both partitions are laid out with sfdisk on the plain disk file.
#
# Usage: deploy/linux-image/build.sh [--variant slurm] [OUT]   (npm run image:linux [-- --variant slurm])
# Prints the path of the built disk. The build is cached under BMI_IMAGE_CACHE (default /var/cache/bmi), keyed by
# a hash of this directory's files, the variant, the suite and the mirror: an unchanged recipe answers at once.
#
# Variants (role images, the same disk with more Debian packages and a first-boot hook that reads the node's cluster
# metadata from its user-data; README.md):
#   slurm   slurmctld, slurmd, slurm-client, munge, jq and the hook slurm-role: role head = slurmctld, compute = slurmd.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
variant="${BMI_LINUX_VARIANT:-}"
if [ "${1:-}" = "--variant" ]; then variant="${2:-}"; shift 2 || shift $#; fi
case "$variant" in
  "") extra_pkgs=""; variant_files=""; name=linux ;;
  slurm) extra_pkgs=",slurmctld,slurmd,slurm-client,munge,jq"; variant_files="slurm-role"; name=linux-slurm ;;
  *) echo "unknown variant '$variant' (known: slurm)" >&2; exit 2 ;;
esac
cache="${BMI_IMAGE_CACHE:-/var/cache/bmi}"
suite="${BMI_LINUX_SUITE:-bookworm}"
mirror="${BMI_LINUX_MIRROR:-}"
if [ -z "$mirror" ]; then
  # The machine's own Debian mirror (apt's deb822 sources), else Debian's.
  mirror="$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
  mirror="${mirror:-http://deb.debian.org/debian}"
fi
# shellcheck disable=SC2086 # variant_files: a list of names without spaces
key="$( (cd "$here" && cat build.sh bmi-init $variant_files; echo "$suite $mirror $variant") | sha256sum | cut -c1-16)"
dir="$cache/$name-$key"
disk="$dir/bmi-$name.raw"
# Prints the disk's path (copied to OUT first when given) and ends the script.
answer() {
  [ -n "${1:-}" ] && cp --sparse=always "$disk" "$1" && disk="$1"
  echo "$disk"
  exit 0
}
[ -s "$disk" ] && answer "${1:-}"
mkdir -p "$cache"
# One build at a time per cache (two test files may ask at once): the second finds the first's disk.
exec 9>>"$cache/.build.lock"
flock 9
[ -s "$disk" ] && answer "${1:-}"
for tool in mmdebstrap mke2fs mkfs.fat mcopy syslinux sfdisk; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run deploy/install-deps.sh" >&2; exit 1; }
done
start=$(date +%s)
work="$(mktemp -d "$cache/.build-XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/root"

# Packages: the kernel, initramfs-tools with open-iscsi's hooks (iscsistart reads the iBFT iPXE leaves behind),
# busybox for the tiny init (wget, hostname, reboot). No systemd: the image's own init (bmi-init) reaches
# userspace in a fraction of the time under TCG.
pkgs=linux-image-amd64,initramfs-tools,open-iscsi,busybox,klibc-utils,e2fsprogs,zstd$extra_pkgs
# initramfs: only the drivers a BMI node needs (MODULES=list keeps it small: it is read through iPXE's int 13h
# over iSCSI), iBFT-driven login (ISCSI_AUTO), zstd.
initramfs_setup='
  mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/etc/initramfs-tools/hooks" "$1/etc/iscsi"
  printf "MODULES=list\nCOMPRESS=zstd\nRESUME=none\n" > "$1/etc/initramfs-tools/conf.d/bmi"
  echo "ISCSI_AUTO=true" > "$1/etc/iscsi/iscsi.initramfs"
  cat > "$1/etc/initramfs-tools/hooks/bmi-nic" <<HOOK
#!/bin/sh
[ "\$1" = prereqs ] && exit 0
. /usr/share/initramfs-tools/hook-functions
for m in e1000 e1000e virtio_net virtio_pci virtio_scsi igb ixgbe tg3 bnx2 r8169 ext4 sd_mod crc32c_generic af_packet; do
  manual_add_modules \$m
done
HOOK
  chmod +x "$1/etc/initramfs-tools/hooks/bmi-nic"
  # open-iscsi'"'"'s hook also adds offload and InfiniBand drivers (Chelsio cxgb3i/4i, iSER): 3.5 MB a BMI node never
  # uses, read through int 13h at every boot. Removed after it ran.
  cat > "$1/etc/initramfs-tools/hooks/zz-bmi-trim" <<HOOK
#!/bin/sh
[ "\$1" = prereqs ] && echo iscsi && exit 0
rm -rf "\$DESTDIR"/usr/lib/modules/*/kernel/drivers/infiniband "\$DESTDIR"/usr/lib/modules/*/kernel/drivers/net/ethernet/chelsio \
  "\$DESTDIR"/usr/lib/modules/*/kernel/drivers/scsi/cxgbi
HOOK
  chmod +x "$1/etc/initramfs-tools/hooks/zz-bmi-trim"'
# After the packages: the init, an initiator name (iscsistart takes the iBFT's), then everything the running
# system does not need (the modules are in the initramfs, the kernel on the boot partition).
customize='
  install -m 0755 '"$here"'/bmi-init "$1/usr/sbin/bmi-init"
  mkdir -p "$1/usr/lib/bmi/user-data.d"
  if [ -n "'"$variant"'" ]; then
    install -m 0755 '"$here"'/'"$variant"'-role "$1/usr/lib/bmi/user-data.d/50-'"$variant"'"
    # The key munge'"'"'s postinst made is in every copy of the image: gone, the hook writes the cluster'"'"'s own.
    rm -f "$1/etc/munge/munge.key"
  fi
  echo "InitiatorName=iqn.2026-01.org.bmi:unset" > "$1/etc/iscsi/initiatorname.iscsi"
  echo bmi-node > "$1/etc/hostname"
  printf "LABEL=bmiroot / ext4 rw 0 1\n" > "$1/etc/fstab"
  mkdir -p "$1/var/lib/bmi"
  for a in reboot poweroff wget; do ln -sf /bin/busybox "$1/usr/local/sbin/$a"; done
  cp -L "$1/vmlinuz" "$1/boot.vmlinuz"; cp -L "$1/initrd.img" "$1/boot.initrd"
  rm -rf "$1"/usr/lib/modules "$1"/boot/* "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/usr/share/doc/* \
    "$1"/usr/share/man/* "$1"/usr/share/locale/* "$1"/usr/share/info/* "$1"/var/log/*.log'

mmdebstrap --variant=minbase --include="$pkgs" --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --essential-hook="$initramfs_setup" --customize-hook="$customize" \
  "$suite" "$root" "$mirror" >&2

mv "$root/boot.vmlinuz" "$work/vmlinuz"; mv "$root/boot.initrd" "$work/initrd.img"

# Boot partition: FAT with syslinux, the kernel and the initramfs. The kernel command line logs into the disk
# from the iBFT (iscsi_auto) and mounts the root by label.
cat > "$work/syslinux.cfg" <<CFG
DEFAULT bmi
PROMPT 0
TIMEOUT 0
LABEL bmi
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND console=ttyS0,115200 iscsi_auto root=LABEL=bmiroot rw init=/usr/sbin/bmi-init rootdelay=0 panic=10 quiet loglevel=3
CFG
boot_mib=$(( ( $(stat -c %s "$work/vmlinuz") + $(stat -c %s "$work/initrd.img") ) / 1048576 + 8 ))
mkfs.fat -F 16 -n BMIBOOT -C "$work/boot.img" $((boot_mib * 1024)) >/dev/null
mcopy -i "$work/boot.img" "$work/vmlinuz" "$work/initrd.img" "$work/syslinux.cfg" ::/
syslinux --install "$work/boot.img"

# Root: ext4 from the directory, with room for a tenant's files.
root_mib=$(( $(du -sm "$root" | cut -f1) * 13 / 10 + 64 ))
mke2fs -q -t ext4 -L bmiroot -d "$root" -E root_owner=0:0 -O ^has_journal "$work/root.img" "${root_mib}M"

# The disk: MBR (syslinux's), partition 1 bootable FAT from 1 MiB, partition 2 the root.
total_mib=$((1 + boot_mib + root_mib))
truncate -s "${total_mib}M" "$work/disk.raw"
printf 'label: dos\nstart=1MiB, size=%sMiB, type=6, bootable\nstart=%sMiB, size=%sMiB, type=83\n' \
  "$boot_mib" "$((1 + boot_mib))" "$root_mib" | sfdisk -q "$work/disk.raw"
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$work/disk.raw" bs=440 count=1 conv=notrunc status=none
dd if="$work/boot.img" of="$work/disk.raw" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$work/root.img" of="$work/disk.raw" bs=1M seek=$((1 + boot_mib)) conv=notrunc,sparse status=none

mkdir -p "$dir"
mv "$work/disk.raw" "$disk.tmp" && mv "$disk.tmp" "$disk"
printf 'built %s in %ss: %s MiB (boot %s MiB, root %s MiB), kernel %s, initrd %s bytes\n' "$disk" \
  "$(( $(date +%s) - start ))" "$total_mib" "$boot_mib" "$root_mib" "$(stat -c %s "$work/vmlinuz")" \
  "$(stat -c %s "$work/initrd.img")" | tee "$dir/build.log" >&2
answer "${1:-}"
