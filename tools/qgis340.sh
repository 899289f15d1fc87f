#!/usr/bin/env bash
# QGIS 3.40 LTR beside the system QGIS 3.22, for `make test` and `make test340`.
#
# Debian bookworm ships QGIS 3.22; bookworm-backports ships 3.40 LTR, the version most analysts
# run. Installing it would replace 3.22, so its packages (and the libraries they need that are
# newer than the system's) are downloaded and unpacked with `dpkg -x` into DIR. Nothing is
# installed or upgraded; `env` prints the variables that make Python, qgis_process and Qt load
# 3.40 from DIR, each one *prepended* to the caller's value.
#
#   tools/qgis340.sh setup [DIR]          download + unpack (idempotent: a stamp records what)
#   eval "$(tools/qgis340.sh env [DIR])"  use 3.40 in this shell
#   tools/qgis340.sh run [DIR] -- CMD...  run one command with 3.40
#
# DIR defaults to $QGIS340_DIR, else ~/.cache/crime_mapper/qgis340 (shared by every clone on the
# machine; ~900 MB). Based on ../shared/tools/qgis340.sh.
set -euo pipefail

SUITE=bookworm-backports
SRC=/etc/apt/sources.list.d/$SUITE.sources
ROOTS=(python3-qgis qgis)         # qgis: qgis_process (and the desktop app)
SKIP='libqgis-customwidgets'      # Qt Designer plugin, not needed
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
DEFAULT_DIR=${QGIS340_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/crime_mapper/qgis340}

die() { echo "qgis340.sh: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# name=version of what apt would add/upgrade for ROOTS (simulation only).
resolve() {
  apt-get install -s -qq "${ROOTS[@]/%//$SUITE}" 2>/dev/null |
    sed -nE 's/^Inst ([^ ]+) (\[[^]]*\] )?\(([^ ]+) .*/\1=\3/p' |
    grep -vE "^($SKIP)=" || true
}

download() {  # $1: dir, $2: name=version list
  [ -n "$2" ] && (cd "$1" && apt-get download -q -o APT::Sandbox::User=root $2 >/dev/null)
}

add_backports_source() {
  grep -qsE '^[^#]*bookworm-backports' /etc/apt/sources.list \
    /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources && return 0
  # the same Debian mirror the machine's own bookworm entry uses
  local uri
  uri=$(sed -nE 's/^URIs:[[:space:]]*([^[:space:]]+\/debian)[[:space:]]*$/\1/p' \
    /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
  [ -n "$uri" ] || uri=$(sed -nE 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+bookworm[[:space:]].*/\2/p' \
    /etc/apt/sources.list 2>/dev/null | head -1)
  [ -n "$uri" ] || die "no Debian bookworm mirror found in the apt sources"
  as_root tee "$SRC" >/dev/null <<SOURCES
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
}

setup() {
  local dir=$1 stamp=$1/.unpacked want tmp f
  [ "$dir" != / ] || die "DIR must not be /"
  case $dir in *[[:space:]]*) die "DIR must not contain spaces (qgis_process wrapper)" ;; esac
  mkdir -p "$dir"
  [ -e "$dir/.qgis340" ] || [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
  touch "$dir/.qgis340"
  # Fast path: already unpacked and nothing to refresh (no network, no apt lists needed).
  if [ -f "$stamp" ] && [ -x "$dir/usr/bin/qgis_process" ] && [ -z "${QGIS340_REFRESH:-}" ]; then
    echo "$(sed -nE 's/^python3-qgis=/QGIS /p' "$stamp") in $dir (present)"
    return 0
  fi

  add_backports_source
  grep -q "$SUITE" <<<"$(apt-cache policy python3-qgis)" || as_root apt-get update -q

  want=$(resolve)
  [ -n "$want" ] || die "apt found nothing to fetch; try: apt-get install -s ${ROOTS[*]/%//$SUITE}"
  if [ "$want" != "$(cat "$stamp" 2>/dev/null)" ]; then
    tmp=$(mktemp -d "$dir/.debs.XXXXXX")
    # Stale lists give 404s: refresh once and retry.
    download "$tmp" "$want" ||
      { as_root apt-get update -q; want=$(resolve); download "$tmp" "$want"; } ||
      die "download failed"
    rm -rf "$dir/usr" "$dir/etc" "$stamp"
    for f in "$tmp"/*.deb; do dpkg -x "$f" "$dir"; done
    printf '%s\n' "$want" >"$stamp"
    rm -rf "$tmp"
  fi
  # PyQt5.QtMultimedia/QtSerialPort land in DIR's PyQt5/, which the system
  # PyQt5/__init__.py picks up via pkgutil.extend_path: no merging needed.
  echo "$(sed -nE 's/^python3-qgis=/QGIS /p' "$stamp") in $dir ($(du -sh "$dir" | cut -f1))"
}

env_lines() {
  local d; d=$(printf %q "$1")
  [ -f "$1/.unpacked" ] || die "run first: tools/qgis340.sh setup $1"
  echo "export QGIS_PREFIX_PATH=$d/usr"
  echo "export LD_LIBRARY_PATH=$d/usr/lib:$d/usr/lib/$MA\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
  echo "export PYTHONPATH=$d/usr/lib/python3/dist-packages:$d/usr/share/qgis/python/plugins\${PYTHONPATH:+:\$PYTHONPATH}"
  echo "export QT_PLUGIN_PATH=$d/usr/lib/$MA/qt5/plugins\${QT_PLUGIN_PATH:+:\$QT_PLUGIN_PATH}"
  echo "export PATH=$d/usr/bin:\"\$PATH\""
}

usage() { die "usage: qgis340.sh {setup|env} [DIR] | qgis340.sh run [DIR] -- CMD..."; }

[ $# -ge 1 ] || usage
cmd=$1; shift
dir=$DEFAULT_DIR
if [ $# -ge 1 ] && [ "$1" != "--" ]; then dir=$1; shift; fi
DIR=$(realpath -m -- "$dir")
case $cmd in
  setup) [ $# -eq 0 ] || usage; setup "$DIR" ;;
  env) [ $# -eq 0 ] || usage; env_lines "$DIR" ;;
  run)
    [ "${1:-}" = "--" ] || usage; shift; [ $# -ge 1 ] || usage
    eval "$(env_lines "$DIR")"
    exec "$@" ;;
  *) usage ;;
esac
