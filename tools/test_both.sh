#!/usr/bin/env bash
# `make test`'s suite on both QGIS versions at once: every test that reaches QGIS on Debian's
# QGIS 3.22 and on 3.40 LTR (unpacked beside it by tools/qgis340.sh), and every other test
# once, on one of the two.
#
# Why the others once: they test crime_mapper/core, which imports no QGIS
# (tests/test_layout.py), and give the same result on both versions (the same Python, pandas
# and numpy run them); tests/conftest.py marks the tests that reach QGIS `qgis`
# (tests/support/qgis_reach.py), and the others of a fixed share of the test files `lane340`
# (tests/support/lanes.py): those run on the 3.40 lane, the rest on the 3.22 lane, so that
# the two lanes end at about the same time. Why at once: CI gives `make test` 90 minutes on
# a 2-core machine, and the whole suite run twice in turn went over it. Each lane spends most
# of its time on one core, so the two share the machine.
#
# Each lane has its own QGIS settings and profile folder, so that one lane's settings tests
# never read what the other wrote: pytest-qgis keeps them in the checkout's .qgis-settings,
# one folder for both lanes, unless it runs as a pytest-xdist worker, which gets a folder of
# its own named by PYTEST_XDIST_WORKER (.qgis-settings/lane322, .qgis-settings/lane340).
# Shared, a dock test in one lane saw the summaries history another test of the other lane
# had just set: QSettings re-reads a file another process writes (the 16:16 rehearsal of
# 2026-12-07, five failures). Each lane also has its own XDG_CONFIG_HOME (Qt's other
# settings) and pytest temporary folder. The 3.22 lane prints as it runs; the 3.40 lane's
# output goes to build/test-logs/qgis340.log and is printed when both have ended. Either
# lane failing fails the run.
#
# Usage: tools/test_both.sh [PYTEST ARGS...]   (both lanes; no arguments: the folder tests)
set -euo pipefail

cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}

args=("$@")
[ $# -gt 0 ] || args=(tests)

logs=build/test-logs
mkdir -p "$logs"
lanes=$(mktemp -d "${TMPDIR:-/tmp}/crime_mapper-lanes.XXXXXX")
mkdir -p "$lanes/config322" "$lanes/config340"
log340=$logs/qgis340.log

# each lane's QGIS as it reports itself (pytest -q shows no header)
qgis_version() {
  "$@" "$PY" -c 'from qgis.core import Qgis; print(Qgis.version())' 2>/dev/null | tail -1 ||
    echo "(its version could not be read)"
}
version322=$(qgis_version env)
version340=$(qgis_version bash tools/qgis340.sh run --)

lane340=
stop_lane() {
  if [ -n "$lane340" ] && kill -0 "$lane340" 2>/dev/null; then
    kill -TERM -- "-$lane340" 2>/dev/null || kill -TERM "$lane340" 2>/dev/null || true
    # stopped from outside (CI's time limit, ^C): what the 3.40 lane had done, or it is lost
    echo
    echo "==== QGIS $version340 lane stopped; the end of its log ($log340):"
    tail -c 4000 "$log340" 2>/dev/null || true
  fi
  rm -rf "$lanes"
}
trap stop_lane EXIT
trap 'exit 143' TERM INT

# its own process group, so that stopping it stops its children (chromium, qgis_process) too
set -m
PYTEST_XDIST_WORKER=lane340 XDG_CONFIG_HOME=$lanes/config340 bash tools/qgis340.sh run -- \
  "$PY" -m pytest -q -m "qgis or lane340" --basetemp="$lanes/tmp340" "${args[@]}" \
  >"$log340" 2>&1 &
lane340=$!
set +m

shown340="the tests that reach QGIS, and the others marked lane340"
shown322="every test but those marked lane340"
echo "QGIS $version340: $shown340, beside this run (log: $log340)"
echo "QGIS $version322: $shown322"
status322=0
PYTEST_XDIST_WORKER=lane322 XDG_CONFIG_HOME=$lanes/config322 \
  "$PY" -m pytest -q -m "not lane340" --basetemp="$lanes/tmp322" \
  "${args[@]}" || status322=$?

status340=0
wait "$lane340" || status340=$?
lane340=
echo
echo "==== QGIS $version340: $shown340 ($log340)"
cat "$log340"
echo
# pytest's 5 is "no tests collected": arguments that pick tests of one lane only; refused
# only when neither lane had a test to run
if [ "$status322" = 5 ] && [ "$status340" = 5 ]; then
  echo "No test was collected on either lane."
  exit 5
fi
[ "$status322" != 5 ] || status322=0
[ "$status340" != 5 ] || status340=0
echo "QGIS $version322, $shown322: $([ "$status322" = 0 ] && echo passed || echo "FAILED ($status322)")"
echo "QGIS $version340, $shown340: $([ "$status340" = 0 ] && echo passed || echo "FAILED ($status340)")"
[ "$status322" = 0 ] && [ "$status340" = 0 ]
