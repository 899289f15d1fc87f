"""A CSV scan's every fact (core.load.textscan.ScannedCsv), comparable: what the loader's
fast paths must give exactly as the exact scan does (two test modules compare them)."""

from __future__ import annotations

from crime_mapper.core.load import textscan


def scan_facts(scan: textscan.ScannedCsv) -> tuple:
    """The frame (dtypes and values), line numbers, bad rows and their reasons, spans."""
    return (
        scan.frame.dtypes.astype(str).tolist(),
        scan.frame.astype(object).where(scan.frame.notna(), None).values.tolist(),
        scan.lines.tolist(),
        scan.bad_lines,
        scan.bad_reasons,
        scan.bad_details,
        scan.bad_raw,
        scan.bad_fields,
        scan.blank_lines,
        scan.rows_read,
        None if scan.spans is None else scan.spans.tolist(),
    )
