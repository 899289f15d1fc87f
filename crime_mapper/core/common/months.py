"""How far the months of one release's crimes may spread before an analyst is told.

A police.uk release is one month. A row with a year typed wrong (2015 for 2022) is accepted,
since an old date can be real (an offence reported years later), but it names the release
(``2015-10_2022-10-...-street.csv``) and must not pass unnoticed: the load's report and the
audit warn, naming the rows. One place for the limits, so that both say the same. (The load
rejects a row before POLICE_UK_FIRST_MONTH as early_date; the audit still warns of one in
crimes it is given already loaded.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .vocabulary import MONTH_RE

#: police.uk's street-level crime data begins with this month.
POLICE_UK_FIRST_MONTH = "2010-12"
#: Rows this many months or more from the month most crimes are in are called out.
RELEASE_SPAN_MONTHS = 12
#: The months' names as the public pages write them ("October 2022", never "2022-10").
MONTH_NAMES = (
    "January February March April May June July August September October November December"
).split()


def month_in_words(month: str) -> str:
    """``2022-10`` as a reader says it, ``October 2022``: what a public page's heading and
    text show, so that one page never names its month two ways."""
    return f"{MONTH_NAMES[int(month[5:7]) - 1]} {month[:4]}"


def _number(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _month_counts(months: Iterable[object]) -> Counter:
    """How many rows are in each month (``YYYY-MM`` as text; other values left out).

    Why counted first and read after: a release's half a million rows hold a few distinct
    months, so matching each distinct value once took a load or an anonymise 0.12 s less
    than matching every row. A value that cannot be counted as it is (unhashable) is
    counted by its text, as every value was before."""
    try:
        distinct = Counter(months)
    except TypeError:
        distinct = Counter(map(str, months))
    counts: Counter = Counter()
    for value, rows in distinct.items():
        text = str(value)
        if MONTH_RE.fullmatch(text):
            counts[text] += rows
    return counts


def month_span_warnings(months: Iterable[object]) -> list[str]:
    """Warnings (none for a normal month) about rows' months (``YYYY-MM``; others ignored)
    that lie RELEASE_SPAN_MONTHS or more from the month most rows are in, or before
    police.uk's first month, each naming how many rows."""
    counts = _month_counts(months)
    if not counts:
        return []
    main = max(counts, key=lambda m: (counts[m], m))  # (a tie: the later month)
    far = {
        m: n for m, n in counts.items() if abs(_number(m) - _number(main)) >= RELEASE_SPAN_MONTHS
    }
    early = {m: n for m, n in counts.items() if m < POLICE_UK_FIRST_MONTH}
    warnings = []
    if far:
        first, last = min(counts), max(counts)
        warnings.append(
            f"The crimes span {first} to {last} ({_number(last) - _number(first) + 1:,} "
            f"months): {sum(far.values()):,} row(s) lie {RELEASE_SPAN_MONTHS} months or more "
            f"from {main}, the month most are in ({_listed(far)}). Check their dates before "
            "publishing: a police.uk release is one month."
        )
    if early:
        warnings.append(
            f"{sum(early.values()):,} row(s) are dated before {POLICE_UK_FIRST_MONTH}, when "
            f"police.uk's street-level data begins ({_listed(early)}). Check their dates "
            "before publishing."
        )
    return warnings


def _listed(counts: dict[str, int], most: int = 5) -> str:
    """``1970-10: 1, 2099-10: 2``, the earliest `most` months, then how many more."""
    months = sorted(counts)
    text = ", ".join(f"{m}: {counts[m]:,}" for m in months[:most])
    return text + (f" and {len(months) - most:,} more month(s)" if len(months) > most else "")
