"""Benchmark cases for the hotspots stage (registered by bench/run_bench.py)."""

from __future__ import annotations

from bench.harness import Case, Target

CASES: list[Case] = []
TARGETS: list[Target] = []
