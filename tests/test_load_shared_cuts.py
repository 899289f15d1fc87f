"""The mostly distinct text columns' cuts are shared between the rows' checks thread and the
thread that parses beside it (textscan._SharedCuts, issue 15).

The parsing thread used to sit waiting while the checks thread cut every such column; now it
cuts the widest (a force extract's free-text notes) while the checks thread cuts the narrow
ones. These tests show the parsing thread does take the widest column, that the scan is the
same whichever thread cuts what (hostile files included), that a cut's error is the one a
single thread would raise, and that a failing check never leaves the parsing thread waiting.
"""

from __future__ import annotations

import csv
import io
import threading

import numpy as np
import pytest

from crime_mapper.core.load import textscan
from tests.support.scan_facts import scan_facts


def _force_like(rows: int = 300, hostile: str = "") -> bytes:
    """A force-style extract: a narrow reference, wide quoted notes (doubled quotes,
    delimiters), a narrow officer, coordinates; `hostile` damages some rows."""
    rng = np.random.default_rng(61)
    out = [b"ref,notes,officer,x,y,kind"]
    for k in range(rows):
        note = f'"Seen near the ""shop"", {k} - {"words " * int(rng.integers(6, 20))}"'.encode()
        ref = f"R{k:07d}".encode()
        officer = f"PC {k:05d}".encode()
        if hostile == "stray_quote" and k % 37 == 5:
            ref = b'R"' + ref
        elif hostile == "nul" and k % 41 == 7:
            note = note[:-1] + b'\x00"'
        elif hostile == "bare_cr" and k % 43 == 9:
            note = note[:-1] + b'\rmore"'
        elif hostile == "huge" and k == rows // 2:
            note = b'"' + b"y" * 200_000 + b'"'
        elif hostile == "cp1252" and k % 29 == 3:
            note = note[:-1] + "caf\u00e9 \u20ac".encode("cp1252") + b'"'
        elif hostile == "short_row" and k == rows // 3:
            officer = officer + b",extra"
        x, y = f"{450000 + k}", f"{300000 + int(rng.integers(0, 9999))}"
        out.append(b",".join([ref, note, officer, x.encode(), y.encode(), b"AB"[k % 2 :][:1]]))
    return b"\n".join(out) + b"\n"


def _scan(sample: bytes, monkeypatch, own: bool, beside: bool):
    monkeypatch.setattr(textscan, "_OWN_TEXT_FROM_BYTES", 0 if own else 1 << 40)
    monkeypatch.setattr(textscan, "_CHECK_BESIDE_FROM_BYTES", 0 if beside else 1 << 40)
    monkeypatch.setattr(textscan, "_HALVES_FROM_BYTES", 0 if beside else 1 << 40)
    try:
        return scan_facts(textscan.scan_csv(sample, plain_numeric=("x", "y")))
    except Exception as exc:  # noqa: BLE001 - the same error every way
        return (type(exc).__name__, str(exc))


def _spy_cuts(monkeypatch, hold_checks_thread: bool) -> list[tuple[str, int]]:
    """Record (thread, widest value) of every `_own_text` cut. With `hold_checks_thread`, a
    cut on the checks thread first waits (up to 10 s) for the parsing thread to start one,
    so which thread takes which column does not depend on the machine's speed."""
    cuts: list[tuple[str, int]] = []
    main_started = threading.Event()
    own_text = textscan._own_text

    def spy(data, codec, start, end, quotes=None):
        main = threading.current_thread() is threading.main_thread()
        width = int((end - start).max()) if start.size else 0
        cuts.append(("main" if main else "checks", width))
        if main:
            main_started.set()
        elif hold_checks_thread:
            main_started.wait(10)
        return own_text(data, codec, start, end, quotes)

    monkeypatch.setattr(textscan, "_own_text", spy)
    return cuts


def test_the_parsing_thread_cuts_the_widest_column(monkeypatch):
    """Beside the parse, the notes (the widest column) are cut on the parsing thread and the
        narrow ones on the checks thread (the parsing thread may take one once the notes are
    done: whoever is free claims the next); each column once; the scan is the one a
        single thread makes."""
    sample = _force_like(400)
    alone = _scan(sample, monkeypatch, own=True, beside=False)
    cuts = _spy_cuts(monkeypatch, hold_checks_thread=True)
    shared = _scan(sample, monkeypatch, own=True, beside=True)
    assert shared == alone
    assert len(cuts) == 3, cuts  # each column once
    widest = max(width for _, width in cuts)
    assert [thread for thread, width in cuts if width == widest] == ["main"], cuts
    assert [width for thread, width in cuts if thread == "main"][0] == widest, cuts
    assert shared == _scan(sample, monkeypatch, own=False, beside=False)  # pandas' own values


def test_without_a_parse_beside_one_thread_cuts_every_column(monkeypatch):
    sample = _force_like(200)
    cuts = _spy_cuts(monkeypatch, hold_checks_thread=False)
    _scan(sample, monkeypatch, own=True, beside=False)
    assert [thread for thread, _ in cuts] == ["main"] * 3


@pytest.mark.parametrize(
    "hostile", ["", "stray_quote", "nul", "bare_cr", "huge", "cp1252", "short_row"]
)
@pytest.mark.parametrize("hold", [False, True])
def test_hostile_files_scan_the_same_whichever_thread_cuts(hostile, hold, monkeypatch):
    """Stray quotes, NULs, bare CRs, a 200,000-byte line, non-UTF-8 (cp1252) bytes and a
    long row: cut on both threads (the checks thread held back or not), on one, or made by
    pandas, the scan (or its error) is the same."""
    sample = _force_like(300, hostile)
    expected = _scan(sample, monkeypatch, own=False, beside=False)
    assert _scan(sample, monkeypatch, own=True, beside=False) == expected
    _spy_cuts(monkeypatch, hold_checks_thread=hold)
    assert _scan(sample, monkeypatch, own=True, beside=True) == expected


def _spans(widths: list[int], rows: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    starts = np.arange(rows, dtype=np.int64) * 100
    return [(starts, starts + w) for w in widths]


@pytest.mark.parametrize("from_narrowest", [True, False])
def test_a_failed_cut_raises_the_first_in_column_order(from_narrowest, monkeypatch):
    """Whichever thread claims which column, `values` raises the first failing column's
    error in column order, as cutting them one after another on one thread would."""
    widths = [40, 3, 90, 10]  # columns 0 and 2 fail; cut order by width is 1, 3, 0, 2

    def own_text(data, codec, start, end, quotes=None):
        width = int((end - start).max())
        if width in (40, 90):
            raise UnicodeDecodeError(codec, b"\x81", 0, 1, f"column of width {width}")
        return np.array([str(width)] * start.size, dtype=object)

    monkeypatch.setattr(textscan, "_own_text", own_text)
    cuts = textscan._SharedCuts(b"x" * 1000, "cp1252")
    cuts.publish(_spans(widths))
    cuts.cut(from_narrowest=from_narrowest)
    with pytest.raises(UnicodeDecodeError, match="width 40"):
        cuts.values()


def test_columns_are_claimed_narrowest_first_and_widest_first(monkeypatch):
    """The checks thread takes columns from the narrowest, the parsing thread from the
    widest; values come back in column order whoever cut them."""
    order: list[int] = []

    def own_text(data, codec, start, end, quotes=None):
        order.append(int((end - start).max()))
        return np.array([f"w{order[-1]}"] * start.size, dtype=object)

    monkeypatch.setattr(textscan, "_own_text", own_text)
    widths = [40, 3, 90, 10, 3]
    cuts = textscan._SharedCuts(b"x" * 1000, "utf-8")
    cuts.publish(_spans(widths))
    # one claim from each end, then the rest from the narrow end
    cuts._todo, rest = cuts._todo[:1] + cuts._todo[-1:], cuts._todo[1:-1]
    cuts.cut(from_narrowest=False)
    assert order == [90, 3]
    cuts._todo = rest
    cuts.cut(from_narrowest=True)
    assert order == [90, 3, 3, 10, 40]
    assert [v[0] for v in cuts.values()] == [f"w{w}" for w in widths]


def test_a_failing_check_releases_the_parsing_thread(monkeypatch):
    """When the rows' checks raise (or find nothing to cut), the parsing thread is not left
    waiting for spans: the scan ends, with the checks' error."""
    sample = _force_like(200)
    monkeypatch.setattr(textscan, "_OWN_TEXT_FROM_BYTES", 0)
    monkeypatch.setattr(textscan, "_CHECK_BESIDE_FROM_BYTES", 0)

    def broken(*args, **kwargs):
        raise RuntimeError("checks failed")

    monkeypatch.setattr(textscan, "_fast_quoted_counts_ok", broken)
    outcome: list = []

    def run() -> None:
        try:
            textscan.scan_csv(sample, plain_numeric=("x", "y"))
            outcome.append("scanned")
        except RuntimeError as exc:
            outcome.append(str(exc))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(30)
    assert outcome == ["checks failed"]

    released = textscan._SharedCuts(b"", "utf-8")
    waiter = threading.Thread(target=released.cut, args=(False,), daemon=True)
    waiter.start()
    released.publish(None)
    waiter.join(10)
    assert not waiter.is_alive() and released.values() == []


@pytest.mark.parametrize("quoted", [True, False])
def test_the_spans_are_published_before_the_plain_numbers_are_checked(quoted, monkeypatch):
    """The parsing thread can start its cut while the checks thread still proves the
    coordinates plain: the spans are published first, once (a later publish is ignored),
    and the scan is the one a single thread makes. In a quote-free body too."""
    sample = _force_like(300)
    if not quoted:  # the same fields without their quotes and commas
        rows = csv.reader(io.StringIO(sample.decode(), newline=""))
        text = "\n".join(",".join(f.replace('"', "").replace(",", " ") for f in r) for r in rows)
        sample = (text + "\n").encode()
        assert b'"' not in sample
    alone = _scan(sample, monkeypatch, own=True, beside=False)
    events: list[str] = []
    plain_numbers = textscan._plain_numbers
    publish = textscan._SharedCuts.publish

    def spy_plain(*args):
        events.append("plain")
        return plain_numbers(*args)

    def spy_publish(self, spans):
        events.append("publish" if spans is not None else "none")
        return publish(self, spans)

    monkeypatch.setattr(textscan, "_plain_numbers", spy_plain)
    monkeypatch.setattr(textscan._SharedCuts, "publish", spy_publish)
    shared = _scan(sample, monkeypatch, own=True, beside=True)
    assert shared == alone
    assert events == ["publish", "plain", "plain", "publish"], events
    assert shared == _scan(sample, monkeypatch, own=False, beside=False)


def test_a_check_failing_after_the_spans_ends_the_scan_with_its_error(monkeypatch):
    """The spans are out (the parsing thread cuts), then the plain numbers' check raises:
    the scan ends with that error, no thread left waiting."""
    sample = _force_like(200)

    def broken(*args):
        raise RuntimeError("plain check failed")

    monkeypatch.setattr(textscan, "_plain_numbers", broken)
    outcome: list = []

    def run() -> None:
        outcome.append(_scan(sample, monkeypatch, own=True, beside=True))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(30)
    assert outcome == [("RuntimeError", "plain check failed")]


def test_only_the_first_publish_counts(monkeypatch):
    """The spans are published when found and again when the checks end: the second call
    (the same spans, or None) neither hands out the columns again nor takes them away."""
    order: list[int] = []

    def own_text(data, codec, start, end, quotes=None):
        order.append(int((end - start).max()))
        return np.array([f"w{order[-1]}"] * start.size, dtype=object)

    monkeypatch.setattr(textscan, "_own_text", own_text)
    widths = [40, 3, 90]
    for again in (_spans(widths), None):
        order.clear()
        cuts = textscan._SharedCuts(b"x" * 1000, "utf-8")
        cuts.publish(_spans(widths))
        cuts.cut(from_narrowest=True)
        cuts.publish(again)
        cuts.cut(from_narrowest=False)
        assert order == [3, 40, 90]
        assert [v[0] for v in cuts.values()] == [f"w{w}" for w in widths]
