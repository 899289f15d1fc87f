"""A raw crime dated before 1973 (a year typed wrong, "26/10/1971", or an old offence
reported late). Today's loader rejects a row before police.uk's first month (early_date),
but a crimes GeoPackage loaded by an earlier version, which kept such a row with a warning,
still holds one, and a release made from it is gated against it. Its epoch seconds have 8
digits (57303480); the whole number was refused, but written with a fraction ("57303480.5")
it passed the gate in every carrier: the raw-timestamp scan took a decimal only with 9
digits or more before its point, so that "20221015.5" stays a decimal. Such a decimal's
whole part is now looked up among the raw crimes' early epoch seconds only
(checks._BARE_NUMBER_EARLY, context.early_epoch_seconds); its other 7-8 digit decimals
still pass, and a release of crimes from 1973 on scans exactly as before.

Real force extract loaded through the real loader, one loaded crime then dated 1971 as such
a GeoPackage holds it, real map points and release (tests/support/leak_world); each output
written to disk and gated.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crime_mapper.core.gate import checks, context
from crime_mapper.core.gate.leak_gate import check_release
from tests.support.leak_world import build_world, failed, write_clean_outputs
from tests.support.planted_text import CARRIERS, gated

EARLY = pd.Timestamp("1971-10-26 05:38")
EPOCH = int(EARLY.value // 1_000_000_000)  # 57303480: 8 digits


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return build_world(tmp_path_factory.mktemp("early"), first_when=str(EARLY))


@pytest.fixture(scope="module")
def clean_outputs(world: dict) -> dict:
    return write_clean_outputs(world)


def test_the_early_crime_is_published_in_its_month_and_the_release_is_clean(world, clean_outputs):
    assert (world["raw"]["occurred_at"] == EARLY).any()
    assert "1971-10" in set(world["public"]["Month"])
    assert len(str(EPOCH)) == 8
    for kind in ("csv", "gpkg", "folder"):
        report = check_release(world["raw"], clean_outputs[kind], world["points"])
        assert report.passed, (kind, report.message())


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("written", [f"{EPOCH}.5", f"{EPOCH}.123", f"-{EPOCH}.25"])
def test_an_early_epoch_with_a_fraction_is_refused(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, written: str
):
    report = gated(world, clean_outputs, tmp_path / "site", f"Logged {written}. Later.", carrier)
    assert failed(report) == {"no_dates_finer_than_month"}, report.message()
    assert f"raw date/time written as the number {EPOCH}" in report.message()


# 7-8 digit decimals that are no early epoch: the early crime's own date as a decimal
# (yyyymmdd, ddmmyyyy: a decimal, as "20221015.5" is), a second off, any other
PUBLIC = [
    EARLY.strftime("%Y%m%d") + ".5",
    EARLY.strftime("%d%m%Y") + ".25",
    f"{EPOCH + 1}.5",
    "12345678.9",
    "1234567.5",
    "20221015.5",
]


@pytest.mark.parametrize("carrier", ["csv file", "text file", "json file"])
def test_other_seven_and_eight_digit_decimals_still_pass(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str
):
    text = "Ratios " + ", ".join(PUBLIC) + "."
    report = gated(world, clean_outputs, tmp_path / "site", text, carrier)
    assert report.passed, report.message()


def test_the_early_epochs_are_those_before_1973_only():
    raw = pd.DataFrame(
        {
            "occurred_at": pd.to_datetime(
                ["1971-10-26 05:38", "1970-02-01 00:00", "1970-01-01", "2022-10-26 05:38", None]
            )
        }
    )
    early = context.PreparedGate(raw, None).early_epoch_seconds
    assert early.tolist() == [2678400, EPOCH]  # (1970-01-01: 0, fewer than 7 digits)


def test_the_scans_take_a_short_decimal_only_with_early_epochs():
    text = f"a {EPOCH}.5, {EARLY.strftime('%Y%m%d')}.5 and 20221015.1430."
    wanted = {EPOCH, int(EARLY.strftime("%Y%m%d")), 20221015}
    assert checks._raw_forms_direct([text], wanted) == [[20221015]]
    assert checks._raw_forms_direct([text], wanted, {EPOCH}) == [[EPOCH, 20221015]]
    assert checks._raw_forms([text], wanted, {EPOCH}) == [[EPOCH, 20221015]]
