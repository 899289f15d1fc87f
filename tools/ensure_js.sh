#!/usr/bin/env bash
# Install the web map's pinned JavaScript libraries and vendor them into the plugin package.
# `npm ci` runs only when node_modules does not match package-lock.json (a stamp holds the
# lockfile's hash), so repeated runs cost nothing. Used by tools/ensure_setup.sh and by
# `make plugin` / `make package`.
set -euo pipefail
cd "$(dirname "$0")/.."
STAMP=node_modules/.crime_mapper-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "setup: npm is missing: install nodejs and npm (Debian: apt-get install npm)" >&2
        exit 1
    fi
    echo "setup: npm ci (web map libraries from package-lock.json)"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    printf '%s' "$want" > "$STAMP"
fi
/usr/bin/python3 tools/vendor_js.py
