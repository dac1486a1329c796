# Sourced by deploy/tgt/build.sh and deploy/qemu/build.sh: what building a patched Debian component from Debian's own
# source needs, without touching the machine's apt setup.
#   install_build_deps PKG...                       installs those of the packages that are missing (needs $SUDO set)
#   debian_source WORK SOURCE VERSION PATCH...      WORK/src: SOURCE=VERSION's source with Debian's patches, then ours

install_build_deps() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    $SUDO apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# The source comes from the deb-src twin of every Debian archive apt already uses (deb822 .sources or one-line
# sources.list), through a private sources list and lists directory under WORK.
debian_source() {
  local work=$1 source=$2 version=$3 f p
  shift 3
  chmod 755 "$work"   # apt downloads as its _apt user
  mkdir -p "$work/lists/partial" "$work/sources"
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] && sed 's/^Types:.*/Types: deb-src/' "$f" > "$work/sources/$(basename "$f")"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -e "$f" ] && sed -n 's/^deb /deb-src /p' "$f" >> "$work/sources/src.list"
  done
  local apt_src=(-o Dir::Etc::sourcelist=/dev/null -o "Dir::Etc::sourceparts=$work/sources" -o "Dir::State::Lists=$work/lists")
  apt-get "${apt_src[@]}" -qq update
  # apt checks the files against the archive's signed Sources index; dpkg-source need not check the .dsc again.
  (cd "$work" && apt-get "${apt_src[@]}" -qq source --download-only "$source=$version" >/dev/null)
  dpkg-source --no-check -x "$work/${source}_"*.dsc "$work/src" >/dev/null
  for p in "$@"; do patch -d "$work/src" -p1 --quiet < "$p"; done
}
