#!/usr/bin/env bash
# Builds qemu-storage-daemon from Debian's own qemu source with BMI's patch and installs it where only BMI looks:
# - qmp-read-buffer.patch: the QMP monitor reads its commands many bytes per system call instead of one, with the
#   same order and queueing (image-service's local driver: the daemon's CPU per disk created and deleted).
# The Debian package is not touched: /usr/bin/qemu-storage-daemon stays Debian's for everyone else, and
# image-service runs BMI_QSD (/usr/local/lib/bmi/qemu-storage-daemon) when it is there, Debian's otherwise (it logs
# which).
#
#   deploy/qemu/build.sh            build (unless cached) and install
#   deploy/qemu/build.sh --check    exit 0 when BMI's daemon is installed for the installed qemu, 1 otherwise
#   env: BMI_QEMU_CACHE (default /var/cache/bmi/qemu)
#
# The source is the one of the installed qemu-system-common package's version (the package of Debian's
# qemu-storage-daemon), fetched with apt-get from the deb-src twin of the machine's own Debian archive (a private
# sources list and lists directory: the machine's apt setup is not touched), with Debian's patches applied as
# dpkg-source does. Only the daemon is built (no emulator, no other tool, no docs), with Debian's compiler and
# hardening flags and only what image-service asks of it: qcow2 and file nodes (always built in), FUSE exports,
# Linux AIO, io_uring, zstd; no optional feature is picked up from whatever else the machine has installed. The
# build dependencies (meson, GLib, FUSE 3, liburing, libaio and zstd headers) come from the same archive. About
# 5 minutes on two cores. The result is cached under BMI_QEMU_CACHE by qemu version and the patch and options'
# hash, so a second run builds nothing and an upgraded qemu or a changed patch builds again.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../debian-source.sh
. "$HERE/../debian-source.sh"
PATCHES=("$HERE/qmp-read-buffer.patch")
CACHE=${BMI_QEMU_CACHE:-/var/cache/bmi/qemu}
BMI_QSD=/usr/local/lib/bmi/qemu-storage-daemon
BUILD_DEPS=(meson ninja-build pkg-config gcc python3 dpkg-dev libglib2.0-dev libfuse3-dev liburing-dev libaio-dev
            libzstd-dev zlib1g-dev)
CONFIGURE=(--target-list= --without-default-features --disable-system --disable-user --enable-tools --disable-docs
           --disable-install-blobs --with-git-submodules=ignore --enable-fuse --enable-fuse-lseek --enable-linux-aio
           --enable-linux-io-uring --enable-zstd --enable-malloc-trim)

version=$(dpkg-query -W -f='${Version}' qemu-system-common)
source_version=$(dpkg-query -W -f='${source:Version}' qemu-system-common)
key="${version//[:~+]/_}-$( { cat "${PATCHES[@]}"; echo "${CONFIGURE[*]}"; } | sha256sum | cut -c1-16)"
built=$CACHE/$key/qemu-storage-daemon

installed() {
  [ -f "$built" ] && cmp -s "$built" "$BMI_QSD"
}
if [ "${1:-}" = --check ]; then installed; exit; fi
installed && exit 0

SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
if [ ! -f "$built" ]; then
  started=$SECONDS
  install_build_deps "${BUILD_DEPS[@]}"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  debian_source "$work" qemu "$source_version" "${PATCHES[@]}"
  # Debian's compiler and hardening flags, as debian/rules builds the package.
  mkdir "$work/src/build"
  (cd "$work/src/build" && export DEB_BUILD_MAINT_OPTIONS=hardening=+all && eval "$(dpkg-buildflags --export=sh)" &&
     ../configure --prefix=/usr "${CONFIGURE[@]}" --with-pkgversion="Debian $version, BMI qmp-read-buffer" \
       --extra-cflags="$CFLAGS $CPPFLAGS" --extra-ldflags="$LDFLAGS -Wl,--as-needed" >"$work/configure.log" 2>&1 ||
     { tail -30 "$work/configure.log" >&2; exit 1; }
   ninja storage-daemon/qemu-storage-daemon >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; })
  $SUDO mkdir -p "$CACHE/$key"
  $SUDO install -m 755 "$work/src/build/storage-daemon/qemu-storage-daemon" "$built.tmp"
  $SUDO mv "$built.tmp" "$built"
  echo "built $built in $((SECONDS - started)) s" >&2
fi
$SUDO mkdir -p "$(dirname "$BMI_QSD")"
# Copied beside, then renamed: a daemon starting meanwhile runs either the old file or the new one, never half of one.
$SUDO install -m 755 "$built" "$BMI_QSD.new"
$SUDO mv "$BMI_QSD.new" "$BMI_QSD"
echo "installed BMI's qemu-storage-daemon ($key) as $BMI_QSD; Debian's is /usr/bin/qemu-storage-daemon" >&2
