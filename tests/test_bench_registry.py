"""`make bench` registers every stage's case module when it starts: a helper renamed in one
module must fail here, in `make test`, not hours later when somebody runs the benchmark."""

from __future__ import annotations

import importlib


def test_every_bench_case_module_imports_and_keys_are_unique():
    run_bench = importlib.import_module("bench.run_bench")
    keys = [case.key for case in run_bench.CASES]
    assert len(keys) == len(set(keys))
    for key in (
        "a_read_csv",
        "e_anonymise",
        "p_cli_anonymise",
        "v_monthly_release",
        "w_export_national",
        "w_export_national_qgis",
        "w_export_national_qgis_here",
        "u_dock_release",
    ):
        assert key in keys, key
