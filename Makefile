# crime_mapper: build, test and demo entry points.
#
#   make demo     set up (idempotent), then run the product's main job on bundled sample data
#   make test     set up, lint, then at once on QGIS 3.22 (Debian) and 3.40 LTR: every test that
#                 reaches QGIS on both, every other test on one of them (tools/test_both.sh)
#   make test322  the whole suite on the system QGIS 3.22 only (quicker, while working)
#   make test340  the whole suite on QGIS 3.40 LTR only (unpacked beside 3.22 by tools/qgis340.sh)
#   make qgis340  download and unpack QGIS 3.40 from bookworm-backports (idempotent)
#   make bench    set up, then the national-scale benchmark
#   make plugin   assemble the installable plugin folder build/crime_mapper/
#   make package  write dist/crime_mapper-<version>.zip (install from ZIP in QGIS)
#   make lint     ruff check, ruff format --check and the type check of the core (mypy)
#   make format   ruff format and ruff check --fix
#
# Everything runs headless: Qt draws offscreen, so no display or Xvfb is needed.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

export QT_QPA_PLATFORM := offscreen

SYSTEM_PYTHON := /usr/bin/python3
VENV := .venv
PY := $(VENV)/bin/python
RUFF := $(VENV)/bin/ruff
MYPY := $(VENV)/bin/mypy
VERSION := $(shell sed -n 's/^version=//p' metadata.txt)
LINT_PATHS := crime_mapper tests tools bench sample_data

.PHONY: translations help setup test test322 test340 qgis340 lint format demo bench plugin package clean

help:
	@sed -n 's/^#   //p' Makefile

setup:
	@bash tools/ensure_setup.sh

lint: setup
	$(RUFF) check $(LINT_PATHS)
	$(RUFF) format --check $(LINT_PATHS)
	$(MYPY)

# QGIS 3.40 LTR (what most analysts run) is unpacked beside Debian's 3.22, never installed over
# it; its variables are *prepended* by `tools/qgis340.sh run`, so 3.22 stays the default.
QGIS340 := bash tools/qgis340.sh

# The tests that reach no QGIS (tests/support/qgis_reach.py) run once, on 3.22 or on 3.40 by
# their file (tests/support/lanes.py): they test the QGIS-free core, the same on both
# versions. The two lanes run at once (tools/test_both.sh).
test: lint qgis340
	bash tools/test_both.sh

test322: setup
	$(PY) -m pytest -q tests

test340: setup qgis340
	$(QGIS340) run -- $(PY) -m pytest -q tests

qgis340:
	$(QGIS340) setup

format: setup
	$(RUFF) format $(LINT_PATHS)
	$(RUFF) check --fix $(LINT_PATHS)

demo: setup
	$(PY) tools/demo.py

bench: setup
	$(PY) bench/run_bench.py

translations:
	$(SYSTEM_PYTHON) tools/translation_template.py

plugin:
	bash tools/ensure_js.sh
	$(SYSTEM_PYTHON) tools/build_plugin.py --out build

package:
	bash tools/ensure_js.sh
	$(SYSTEM_PYTHON) tools/build_plugin.py --out build --zip dist/crime_mapper-$(VERSION).zip

clean:
	rm -rf build dist .qgis-settings
