#!/usr/bin/env bash
# Builds tgt from Debian's own tgt source with BMI's patches and installs what they change in place of the packages':
# - bs_rbd-shared-client.patch: the rbd backing store shares one Ceph client per tgtd instead of one per LUN (issue
#   14, point 3); replaces the tgt-rbd package's module.
# - tgtd-control.patch: tgtd keeps a control connection open for a client that asks (target-service sends every
#   request on one connection instead of a connect per request), and adds and deletes CHAP accounts in O(n), not
#   O(n^2) (issue 16); replaces the tgt package's tgtd. Clients that do not ask (tgtadm) see no difference, and
#   target-service works with a stock tgtd too (it probes which it has).
#
#   deploy/tgt/build.sh            build (unless cached) and install
#   deploy/tgt/build.sh --check    exit 0 when the patched module and tgtd are installed for the installed tgt, 1 otherwise
#   env: BMI_TGT_CACHE (default /var/cache/bmi/tgt)
#
# The source is the one of the installed tgt package's version, fetched with apt-get from the deb-src twin of the
# machine's own Debian archive (a private sources list and lists directory: the machine's apt setup is not
# touched); tgtd's build dependencies (libaio, libsystemd, libibverbs, librdmacm headers) come from the same archive.
# tgtd is built with the package's own features (iSER, systemd notify), compiler and hardening flags. The result is
# cached under BMI_TGT_CACHE by tgt version and patches' hash, so a second run builds nothing and an upgraded tgt or a
# changed patch builds again. The package's files are kept with dpkg-divert in /usr/lib/tgt/stock/ (outside the
# directory tgtd loads every module of), so an upgrade of tgt or tgt-rbd never overwrites the patched ones and
# `dpkg-divert --rename --remove` brings a stock one back.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../debian-source.sh
. "$HERE/../debian-source.sh"
PATCHES=("$HERE/bs_rbd-shared-client.patch" "$HERE/tgtd-control.patch")
CACHE=${BMI_TGT_CACHE:-/var/cache/bmi/tgt}
MODULE=/usr/lib/tgt/backing-store/bs_rbd.so
STOCK=/usr/lib/tgt/stock/bs_rbd.so
TGTD=/usr/sbin/tgtd
STOCK_TGTD=/usr/lib/tgt/stock/tgtd
BUILD_DEPS=(libaio-dev libsystemd-dev libibverbs-dev librdmacm-dev)

version=$(dpkg-query -W -f='${Version}' tgt-rbd)
tgt_version=$(dpkg-query -W -f='${Version}' tgt)
key="${version//[:~]/_}-$(cat "${PATCHES[@]}" | sha256sum | cut -c1-16)"
built=$CACHE/$key/bs_rbd.so
built_tgtd=$CACHE/$key/tgtd

installed() {
  [ "$tgt_version" = "$version" ] && [ -f "$built" ] && cmp -s "$built" "$MODULE" && [ -f "$STOCK" ] &&
    [ -f "$built_tgtd" ] && cmp -s "$built_tgtd" "$TGTD" && [ -f "$STOCK_TGTD" ]
}
if [ "${1:-}" = --check ]; then installed; exit; fi
installed && exit 0

SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
if [ "$tgt_version" != "$version" ]; then
  echo "tgt ($tgt_version) and tgt-rbd ($version) differ: install the same version of both" >&2
  exit 1
fi
if [ ! -f "$built" ] || [ ! -f "$built_tgtd" ]; then
  install_build_deps "${BUILD_DEPS[@]}"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  debian_source "$work" tgt "$version" "${PATCHES[@]}"
  # Debian's own compiler and hardening flags and tgtd's features, as debian/rules builds the package
  # (hardening=+all; ISCSI_RDMA=1 SD_NOTIFY=1: CEPH_RBD and GLFS_BD only add modules).
  (cd "$work/src/usr" && export DEB_BUILD_MAINT_OPTIONS=hardening=+all && eval "$(dpkg-buildflags --export=sh)" &&
     make -s CEPH_RBD=1 bs_rbd.so >/dev/null && make -s ISCSI_RDMA=1 SD_NOTIFY=1 tgtd >/dev/null)
  $SUDO mkdir -p "$CACHE/$key"
  $SUDO install -m 644 "$work/src/usr/bs_rbd.so" "$built.tmp"
  $SUDO mv "$built.tmp" "$built"
  $SUDO install -m 755 "$work/src/usr/tgtd" "$built_tgtd.tmp"
  $SUDO mv "$built_tgtd.tmp" "$built_tgtd"
  echo "built $built and $built_tgtd" >&2
fi
$SUDO mkdir -p "$(dirname "$STOCK")"
if ! dpkg-divert --list "$MODULE" | grep -q .; then
  $SUDO dpkg-divert --quiet --local --rename --divert "$STOCK" --add "$MODULE"
fi
# Copied beside the directory, then renamed into it: tgtd dlopens every file there, a half-written one included.
$SUDO install -m 755 "$built" /usr/lib/tgt/bs_rbd.so.new
$SUDO mv /usr/lib/tgt/bs_rbd.so.new "$MODULE"
echo "installed the patched rbd backing store ($key); the package's is $STOCK" >&2
# A running tgtd keeps the file it was started from; the next start runs this one.
if ! dpkg-divert --list "$TGTD" | grep -q .; then
  $SUDO dpkg-divert --quiet --local --rename --divert "$STOCK_TGTD" --add "$TGTD"
fi
$SUDO install -m 755 "$built_tgtd" "$TGTD.new"
$SUDO mv "$TGTD.new" "$TGTD"
echo "installed the patched tgtd ($key); the package's is $STOCK_TGTD" >&2
