#!/usr/bin/env bash
# Builds tgt's rbd backing store from Debian's own tgt source with bs_rbd-shared-client.patch (one Ceph client per
# tgtd instead of one per LUN; issue 14, point 3) and installs it in place of the tgt-rbd package's module.
#
#   deploy/tgt/build.sh            build (unless cached) and install
#   deploy/tgt/build.sh --check    exit 0 when the patched module is installed for the installed tgt, 1 otherwise
#   env: BMI_TGT_CACHE (default /var/cache/bmi/tgt)
#
# The source is the one of the installed tgt package's version, fetched with apt-get from the deb-src twin of the
# machine's own Debian archive (a private sources list and lists directory: the machine's apt setup is not
# touched). The result is cached under BMI_TGT_CACHE by tgt version and patch hash, so a second run builds nothing
# and an upgraded tgt or a changed patch builds again. The package's module is kept with dpkg-divert in
# /usr/lib/tgt/stock/ (outside the directory tgtd loads every file of), so an upgrade of tgt-rbd never overwrites
# the patched one and `dpkg-divert --rename --remove` brings the stock one back.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PATCH=$HERE/bs_rbd-shared-client.patch
CACHE=${BMI_TGT_CACHE:-/var/cache/bmi/tgt}
MODULE=/usr/lib/tgt/backing-store/bs_rbd.so
STOCK=/usr/lib/tgt/stock/bs_rbd.so

version=$(dpkg-query -W -f='${Version}' tgt-rbd)
key="${version//[:~]/_}-$(sha256sum "$PATCH" | cut -c1-16)"
built=$CACHE/$key/bs_rbd.so

installed() { [ -f "$built" ] && cmp -s "$built" "$MODULE" && [ -f "$STOCK" ]; }
if [ "${1:-}" = --check ]; then installed; exit; fi
installed && exit 0

SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
if [ ! -f "$built" ]; then
  work=$(mktemp -d)
  chmod 755 "$work"   # apt downloads as its _apt user
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial" "$work/sources"
  # The deb-src twin of every Debian archive apt already uses (deb822 .sources or one-line sources.list).
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] && sed 's/^Types:.*/Types: deb-src/' "$f" > "$work/sources/$(basename "$f")"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -e "$f" ] && sed -n 's/^deb /deb-src /p' "$f" >> "$work/sources/src.list"
  done
  apt_src=(-o Dir::Etc::sourcelist=/dev/null -o "Dir::Etc::sourceparts=$work/sources" -o "Dir::State::Lists=$work/lists")
  apt-get "${apt_src[@]}" -qq update
  # apt checks the files against the archive's signed Sources index; dpkg-source need not check the .dsc again.
  (cd "$work" && apt-get "${apt_src[@]}" -qq source --download-only "tgt=$version" >/dev/null)
  dpkg-source --no-check -x "$work"/tgt_*.dsc "$work/src" >/dev/null
  patch -d "$work/src" -p1 --quiet < "$PATCH"
  # Debian's own compiler and hardening flags, as debian/rules builds the package (hardening=+all).
  (cd "$work/src/usr" && export DEB_BUILD_MAINT_OPTIONS=hardening=+all && eval "$(dpkg-buildflags --export=sh)" &&
     make -s CEPH_RBD=1 bs_rbd.so >/dev/null)
  $SUDO mkdir -p "$CACHE/$key"
  $SUDO install -m 644 "$work/src/usr/bs_rbd.so" "$built.tmp"
  $SUDO mv "$built.tmp" "$built"
  echo "built $built" >&2
fi
$SUDO mkdir -p "$(dirname "$STOCK")"
if ! dpkg-divert --list "$MODULE" | grep -q .; then
  $SUDO dpkg-divert --quiet --local --rename --divert "$STOCK" --add "$MODULE"
fi
# Copied beside the directory, then renamed into it: tgtd dlopens every file there, a half-written one included.
$SUDO install -m 755 "$built" /usr/lib/tgt/bs_rbd.so.new
$SUDO mv /usr/lib/tgt/bs_rbd.so.new "$MODULE"
echo "installed the patched rbd backing store ($key); the package's is $STOCK" >&2
