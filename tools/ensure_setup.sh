#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine (run by `make setup`, and so by `make test`,
# `make demo` and `make bench`).
#
# 1. Debian packages: QGIS Python bindings and providers, the scientific stack QGIS's Python
#    uses (pandas, numpy, scipy, pyproj, jinja2), venv/pip, chromium for the web-map tests, and
#    the QGIS desktop with Xvfb for the test that reloads the plugin in a real QGIS window, and
#    Qt's lrelease (qttools5-dev-tools) to compile translations into the plugin package.
#    `apt-get update` and `apt-get install` run only when something is missing, so a second run
#    costs one dpkg-query.
# 2. .venv: a --system-site-packages virtualenv over Debian's /usr/bin/python3 (QGIS cannot be
#    pip-installed, so the venv must see Debian's packages) holding the pinned test tools from
#    requirements-test.txt. A stamp file records the hash of requirements-test.txt; while it
#    matches and the venv's Python runs, nothing is reinstalled.
# 3. JavaScript for the web map: `npm ci` from the committed package-lock.json (Leaflet for the
#    page, axe-core for the accessibility tests) when node_modules does not match the lockfile,
#    then tools/vendor_js.py copies the runtime libraries into crime_mapper/resources/
#    webmap_vendor/ (gitignored; shipped in the plugin package).
set -euo pipefail

cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
    python3-qgis
    qgis-providers
    python3-pandas
    python3-numpy
    python3-jinja2
    python3-pyproj
    python3-scipy
    python3-venv
    python3-pip
    chromium
    poppler-utils
    qttools5-dev-tools
    fonts-dejavu-core
    qgis
    xvfb
    xauth
)
SYSTEM_PYTHON=/usr/bin/python3
VENV=.venv
REQUIREMENTS=requirements-test.txt
STAMP="$VENV/.crime_mapper-setup-stamp"

log() { printf 'setup: %s\n' "$*"; }

# --- 1. Debian packages ---------------------------------------------------------------------
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
        missing+=("$pkg")
    fi
done

# npm (with node) for the web map's libraries: Debian's npm package unless some node/npm is
# already installed (e.g. NodeSource's nodejs, which bundles npm and conflicts with Debian's).
if ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    SUDO=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            SUDO=(sudo)
        else
            log "not root and no sudo: install these packages first: ${missing[*]}" >&2
            exit 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -q
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    log "Debian packages present"
fi

# --- 2. virtualenv with the pinned test tools -------------------------------------------------
want_hash=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
# --- 3. JavaScript libraries (before the venv step, which may exit early) ----------------------
bash tools/ensure_js.sh

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want_hash" ] \
        && "$VENV/bin/python" -c 'import pytest, pytest_qgis, playwright' >/dev/null 2>&1 \
        && [ -x "$VENV/bin/ruff" ]; then
    log ".venv up to date"
    exit 0
fi

if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    log "creating $VENV"
    rm -rf "$VENV"
    "$SYSTEM_PYTHON" -m venv --system-site-packages "$VENV"
fi

log "installing $REQUIREMENTS into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "$REQUIREMENTS"

# The venv's pytest must be the pinned one, not a Debian python3-pytest that may also exist.
"$VENV/bin/python" - "$REQUIREMENTS" <<'PY'
import sys
from importlib.metadata import version

pins = {}
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if "==" in line:
        name, _, ver = line.partition("==")
        pins[name.strip()] = ver.strip()
bad = {n: (v, version(n)) for n, v in pins.items() if version(n) != v}
if bad:
    sys.exit(f"setup: installed versions differ from the pins: {bad}")
PY

printf '%s' "$want_hash" > "$STAMP"
log "$VENV ready"
