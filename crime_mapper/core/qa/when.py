"""Analyst "when" views on internal data: when in the week crimes happen, and how each
category moves month by month.

- an hour-of-day by day-of-week table (a styled HTML table whose cell colours follow the
  palette's sequential ramp, with the numbers always written) and the same as an SVG heat
  chart (each cell titled with its day, hour and count, so screen readers and tooltips say
  what colour alone cannot), for all crimes, per category or per area;
- a month trend per category: a table of counts and an SVG line chart per category.

Internal data only: exact times are never public, so these pages are for analysts and must not
be published (they hold no coordinates or references, but the hour of a crime is raw data).
Every text that reaches the page (category and area names) is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Optional, Union

import numpy as np
import pandas as pd

from ..common.palette import ramp_colour
from ..common.staging import staged_outputs
from .profile import area_codes

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
GROUP_BY = ("all", "category", "area")
MAX_GROUPS = 25
CELL, LEFT, TOP = 22, 92, 40


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _text_colour(background: str) -> str:
    r, g, b = (int(background[i : i + 2], 16) / 255 for i in (1, 3, 5))
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#000000" if luminance > 0.179 else "#ffffff"


def _colour(value: float, top: float) -> str:
    return ramp_colour(value / top if top > 0 else 0.0)


def timed(crimes: pd.DataFrame) -> pd.Series:
    """Exact date-times of the rows that have one (NaT rows dropped)."""
    if "occurred_at" not in crimes:
        return pd.Series([], dtype="datetime64[ns]")
    return pd.to_datetime(crimes["occurred_at"], errors="coerce").dropna()


def hour_dow_counts(crimes: pd.DataFrame) -> np.ndarray:
    """7 x 24 counts (Monday first, hours 0-23) of the rows with an exact time."""
    when = timed(crimes)
    counts = np.zeros((7, 24), dtype=np.int64)
    if len(when):
        np.add.at(counts, (when.dt.dayofweek.to_numpy(), when.dt.hour.to_numpy()), 1)
    return counts


def hour_dow_table_html(counts: np.ndarray, caption: str) -> str:
    """The counts as an HTML table: days down, hours across, totals; colour plus number."""
    top = float(counts.max()) if counts.size else 0.0
    head = "".join(f'<th scope="col">{h:02d}</th>' for h in range(24))
    rows = []
    for d, day in enumerate(DAYS):
        cells = []
        for h in range(24):
            v = int(counts[d, h])
            bg = _colour(v, top)
            cells.append(f'<td style="background:{bg};color:{_text_colour(bg)}">{v}</td>')
        rows.append(
            f'<tr><th scope="row">{day}</th>{"".join(cells)}'
            f'<td class="total">{int(counts[d].sum()):,}</td></tr>'
        )
    totals = "".join(f'<td class="total">{int(v):,}</td>' for v in counts.sum(axis=0))
    return (
        '<div class="table-wrap" tabindex="0" role="region" '
        f'aria-label="{esc(caption)}"><table class="heat">'
        f"<caption>{esc(caption)}</caption>"
        f'<thead><tr><th scope="col">Day</th>{head}<th scope="col">Total</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody>"
        f'<tfoot><tr><th scope="row">Total</th>{totals}'
        f'<td class="total">{int(counts.sum()):,}</td></tr></tfoot>'
        "</table></div>"
    )


def hour_dow_svg(counts: np.ndarray, title: str, ident: str) -> str:
    """The counts as an SVG heat chart, titled and described, every cell titled."""
    top = float(counts.max()) if counts.size else 0.0
    width, height = LEFT + 24 * CELL + 10, TOP + 7 * CELL + 50
    busiest = np.unravel_index(int(np.argmax(counts)), counts.shape) if counts.sum() else None
    desc = (
        f"Heat chart of {int(counts.sum()):,} crimes by hour of day (across) and day of week "
        "(down); darker cells have more crimes."
        + (
            f" The busiest hour is {DAYS[busiest[0]]} {busiest[1]:02d}:00 with "
            f"{int(counts[busiest]):,}."
            if busiest is not None
            else ""
        )
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{ident}-t {ident}-d">',
        f'<title id="{ident}-t">{esc(title)}</title>',
        f'<desc id="{ident}-d">{esc(desc)}</desc>',
    ]
    for h in range(0, 24, 3):
        x = LEFT + h * CELL + CELL / 2
        parts.append(
            f'<text x="{x:.0f}" y="{TOP - 8}" text-anchor="middle" font-size="11">{h:02d}</text>'
        )
    for d, day in enumerate(DAYS):
        y = TOP + d * CELL
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + CELL * 0.7:.0f}" text-anchor="end" '
            f'font-size="12">{day[:3]}</text>'
        )
        for h in range(24):
            v = int(counts[d, h])
            parts.append(
                f'<rect x="{LEFT + h * CELL}" y="{y}" width="{CELL - 1}" height="{CELL - 1}" '
                f'fill="{_colour(v, top)}"><title>{day} {h:02d}:00–{(h + 1) % 24:02d}:00: '
                f"{v:,} crimes</title></rect>"
            )
    ly = TOP + 7 * CELL + 18
    for i in range(6):
        x = LEFT + i * 40
        value = top * i / 5
        parts.append(
            f'<rect x="{x}" y="{ly}" width="38" height="10" fill="{_colour(value, top)}"/>'
        )
        parts.append(f'<text x="{x}" y="{ly + 24}" font-size="10">{value:,.0f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def month_trend(crimes: pd.DataFrame) -> pd.DataFrame:
    """Counts per month (rows) and category (columns), months sorted, categories by total."""
    if not len(crimes):
        return pd.DataFrame()
    table = pd.crosstab(crimes["month"].astype(str), crimes["crime_type"].astype(object).fillna(""))
    return table[table.sum().sort_values(ascending=False, kind="stable").index]


def month_trend_html(trend: pd.DataFrame, caption: str) -> str:
    head = "".join(f'<th scope="col">{esc(m)}</th>' for m in trend.index)
    rows = "".join(
        f'<tr><th scope="row">{esc(c)}</th>'
        + "".join(f"<td>{int(v):,}</td>" for v in trend[c])
        + "</tr>"
        for c in trend.columns
    )
    return (
        '<div class="table-wrap" tabindex="0" role="region" '
        f'aria-label="{esc(caption)}"><table><caption>{esc(caption)}</caption>'
        f'<thead><tr><th scope="col">Category</th>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def month_trend_svg(values: Sequence[int], months: Sequence[str], title: str, ident: str) -> str:
    """One category's monthly counts as a small line chart, every point titled."""
    width, height, pad = 360, 120, 36
    values = [int(v) for v in values]
    top = max(values) if values else 0
    n = len(values)

    def xy(i: int, v: int) -> tuple[float, float]:
        x = pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)
        y = height - 24 - (height - 44) * (v / top if top else 0)
        return x, y

    desc = f"{title}: " + ", ".join(f"{m} {v:,}" for m, v in zip(months, values)) + "."
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(values)))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{ident}-t {ident}-d">',
        f'<title id="{ident}-t">{esc(title)}</title><desc id="{ident}-d">{esc(desc)}</desc>',
        f'<text x="4" y="14" font-size="12">{esc(title)} (max {top:,})</text>',
        f'<polyline fill="none" stroke="#21908d" stroke-width="2" points="{points}"/>',
    ]
    for i, (m, v) in enumerate(zip(months, values)):
        x, y = xy(i, v)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#3b528b">'
            f"<title>{esc(m)}: {v:,}</title></circle>"
        )
    if n:
        parts.append(f'<text x="{pad}" y="{height - 6}" font-size="10">{esc(months[0])}</text>')
        parts.append(
            f'<text x="{width - pad}" y="{height - 6}" font-size="10" '
            f'text-anchor="end">{esc(months[-1])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def groups(
    crimes: pd.DataFrame, by: str, area_lookup: Optional[dict[str, str]] = None,
    limit: int = MAX_GROUPS,
) -> list[tuple[str, np.ndarray]]:  # fmt: skip
    """(name, row mask) per group: everything, each category or each area (the busiest
    ``limit``, by rows with an exact time)."""
    if by not in GROUP_BY:
        raise ValueError(f"group by one of {', '.join(GROUP_BY)}, not {by!r}")
    if by == "all":
        return [("All crimes", np.ones(len(crimes), dtype=bool))]
    values = (
        crimes["crime_type"].astype(object).fillna("").to_numpy(dtype=object)
        if by == "category"
        else area_codes(crimes, area_lookup)
    )
    has_time = pd.to_datetime(crimes["occurred_at"], errors="coerce").notna().to_numpy()
    counts = pd.Series(values[has_time & (values != "")]).value_counts()
    names = sorted(counts.index[:limit], key=lambda n: (-counts[n], str(n)))
    return [(str(n), values == n) for n in names]


def groups_problem(
    crimes: pd.DataFrame, by: str, area_lookup: Optional[dict[str, str]] = None
) -> str:
    """Why the hour-and-day views of ``by`` hold no group although crimes have an exact
    time ("" when they hold one, or no crime has a time: the page says that already). Why:
    ``--by area`` on a force extract whose profile maps no LSOA code wrote the section's
    heading with nothing under it, and the command ended as done."""
    if by == "all" or not len(timed(crimes)) or groups(crimes, by, area_lookup, 1):
        return ""
    if by == "category":
        return "no crime with an exact time has a crime type, so there is no category to show"
    if area_lookup:
        return (
            "no crime with an exact time is in an area of the area lookup: their LSOA codes "
            "are blank or not in the lookup, so there is no area to show"
        )
    return (
        "no crime with an exact time has an area (an LSOA code): the extract's rows hold "
        "none (its mapping profile maps no LSOA column), so there is no area to show; group "
        "by category or all instead"
    )


# Charts shrink to a phone's width (their viewBox keeps the drawing whole; the table beside
# each keeps the numbers legible and scrolls in its own labelled region): WCAG 1.4.10 Reflow.
_STYLE = """
body { font-family: system-ui, sans-serif; line-height: 1.5; margin: 1rem auto;
       max-width: 80rem; padding: 0 1rem; color: #1a1a1a; background: #fff; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: bold; padding: 0.25rem 0; }
th, td { border: 1px solid #767676; padding: 0.15rem 0.3rem; text-align: right; }
th[scope=row] { text-align: left; }
td.total { background: #f0f0f0; font-weight: bold; }
.table-wrap { overflow-x: auto; }
svg { max-width: 100%; height: auto; }
.warning { border-left: 4px solid #8b0000; padding-left: 0.5rem; }
"""


def when_page(
    crimes: pd.DataFrame, by: str = "category", area_lookup: Optional[dict[str, str]] = None,
    limit: int = MAX_GROUPS, title: Optional[str] = None,
) -> str:  # fmt: skip
    """The whole "when" page: the heat table and chart per group, then the month trends."""
    when = timed(crimes)
    months = sorted(crimes["month"].astype(str).unique()) if len(crimes) else []
    span = f"{months[0]} to {months[-1]}" if months else "no months"
    title = title or f"When crimes happen ({span})"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)} – crime_mapper</title><style>{_STYLE}</style></head><body><main>",
        f"<h1>{esc(title)}</h1>",
        '<p class="warning">Internal: exact times are raw data. Do not publish this page.</p>',
        f"<p>{len(crimes):,} crimes; {len(when):,} with an exact date and time are in the "
        f"hour and day views ({len(crimes) - len(when):,} without one are left out).</p>",
    ]
    if len(when):
        out.append(
            f"<h2>Hour of day by day of week, {esc(by if by != 'all' else 'all crimes')}</h2>"
        )
        problem = groups_problem(crimes, by, area_lookup)
        if problem:
            out.append(f'<p class="warning">{esc(problem[0].upper() + problem[1:])}.</p>')
        for i, (name, mask) in enumerate(groups(crimes, by, area_lookup, limit), start=1):
            counts = hour_dow_counts(crimes.loc[mask])
            label = f"{name}: crimes by hour and day of week"
            out.append(f'<section aria-labelledby="g{i}"><h3 id="g{i}">{esc(name)}</h3>')
            out.append(hour_dow_svg(counts, label, f"heat{i}"))
            out.append(hour_dow_table_html(counts, label))
            out.append("</section>")
    trend = month_trend(crimes)
    if len(trend):
        out.append("<h2>Month trend per category</h2>")
        for i, category in enumerate(trend.columns, start=1):
            out.append(
                month_trend_svg(
                    trend[category].tolist(), list(trend.index), str(category), f"trend{i}"
                )
            )
        out.append(month_trend_html(trend, "Crimes per month and category"))
    out.append("</main></body></html>\n")
    return "\n".join(out)


def write_when_page(
    crimes: pd.DataFrame, path: Union[str, Path], by: str = "category",
    area_lookup: Optional[dict[str, str]] = None,
) -> Path:  # fmt: skip
    """Write the page (staged: an existing page is replaced only when the new one is whole)."""
    path = Path(path)
    text = when_page(crimes, by, area_lookup)
    with staged_outputs() as stage:
        stage.path_for(path).write_text(text, encoding="utf-8")
    return path
