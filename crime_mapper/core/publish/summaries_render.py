"""Neighbourhood summary pages: the figures of core.publish.summaries as accessible HTML.

One page per neighbourhood and an index comparing them all, from jinja2 templates in
resources/templates/summaries/ (autoescaped: every name, label and team text is escaped or
already sanitised). Charts are inline SVG drawn here (no script, no library): a trend line,
category bars and outcome bars, each with role="img", a title and a description, and the same
numbers in a table beside it, so nothing is shown only as a picture or only by colour.

Speed: one compiled template, and the SVG strings are built with plain string formatting;
7,200 pages take a few seconds.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..common.months import month_in_words
from ..common.palette import (
    CATEGORY_STYLES,
    NO_DATA_COLOUR,
    OUTCOME_GROUP_COLOURS,
    OUTLINE_COLOUR,
    SEQUENTIAL_RAMP,
)
from ..common.text_file import page_line
from ..common.vocabulary import NO_STREET_PLACE
from .summaries import OUTCOME_COLUMNS, TOTAL, Summaries, method_notes
from .summaries_team import Team, shows_something

RESOURCES = Path(__file__).resolve().parents[2] / "resources" / "templates" / "summaries"
LICENCE = "Contains public sector information licensed under the Open Government Licence v3.0."
BOUNDARY_LICENCE = (
    "Boundaries: Source: Office for National Statistics licensed under the Open Government "
    "Licence v.3.0. Contains OS data © Crown copyright and database right."
)
CHANCE_TEXT = {
    "higher": "Higher than usual (more than chance would explain)",
    "lower": "Lower than usual (more than chance would explain)",
    "usual": "Within the usual range",
    "n/a": "n/a (not enough history)",
    "suppressed": "not shown (small numbers)",
}
#: "October 2022": a month as the pages write it and a screen reader reads it (one rule
#: for every public page: core.common.months)
month_label = month_in_words


def period_label(period: list[str]) -> str:
    if len(period) == 1:
        return month_label(period[0])
    return f"{month_label(period[0])} to {month_label(period[-1])}"


def fmt_int(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{int(round(float(value))):,}"


def fmt_rate(value: Any) -> str:
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    return f"{float(value):,.1f}"


def previous_heading(period_months: int) -> str:
    """What a change is measured against, said as the page's reader counts it: "the
    previous period" (and the index's "previous") left a reader of a one-month page
    guessing whether it meant the month before, the quarter, or the last release."""
    if period_months == 1:
        return "Change on the month before"
    return f"Change on the {period_months} months before"


#: U+2212 MINUS SIGN: a fall as a page writes it. Why not "-": a screen reader reads the
#: hyphen-minus of "-26" as "hyphen 26" or not at all, so a fall was heard as a rise; it
#: reads U+2212 as "minus". Pages only: a CSV cell is data and keeps "-26".
MINUS = "\u2212"


def signed(text: str) -> str:
    """``text`` (a number as Python formats it) with its leading "-" written as MINUS."""
    return MINUS + text[1:] if text.startswith("-") else text


def fmt_change(diff: Any, pct: Any) -> str:
    """'+12 (+8.3%)', '\u22123 (n/a)' with no base, 'n/a' with no figure (a fall with MINUS)."""
    if diff is None or not math.isfinite(float(diff)):
        return "n/a"
    d = int(round(float(diff)))
    sign = "+" if d > 0 else ""
    p = "n/a" if pct is None or not math.isfinite(float(pct)) else f"{float(pct):+.1f}%"
    return f"{signed(f'{sign}{d:,}')} ({signed(p)})"


def _location_text(label: str) -> str:
    """police.uk writes "On or near " even when the map point has no street name. Shown as
    the web map shows it (page_line: no bidi control or other format character, its white
    space folded, a line separator too; the page isolates it, <bdi>, so no right-to-left
    text in it reorders its line)."""
    label = page_line(label)
    return label if label not in ("On or near", "") else NO_STREET_PLACE


@dataclass
class PageLinks:
    index: str = "index.html"
    map: Optional[str] = None  # e.g. ../map/index.html, when the web map is exported too


# ---------------------------------------------------------------------------------------------
# SVG charts
def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


#: The most gridlines above zero a trend chart draws (with the fewest, at least 2, that hold
#: the largest count at these steps).
MAX_TICKS = 5
_TICK_STEPS = (1, 2, 5)


def axis_ticks(largest: int) -> list[int]:
    """The values of a count axis's gridlines above zero: whole multiples of one round step
    (1, 2 or 5 times a power of ten), the last at or above ``largest``, at most MAX_TICKS.

    Why: the axis was labelled at half and all of the largest count plus a tenth (0, 107,
    215), numbers a reader cannot use to read a month's count off the line."""
    largest = max(1, int(largest))
    power = 1
    while True:
        for base in _TICK_STEPS:
            step = base * power
            count = -(-largest // step)  # (ceiling division: whole numbers only)
            if count <= MAX_TICKS:
                return [step * k for k in range(1, max(count, 2) + 1)]
        power *= 10


def trend_svg(labels: list[str], values: list[Optional[int]], title: str, uid: str) -> str:
    """A line over the months; a gap (and a hollow marker on the axis) for a missing month.

    400 units wide, not 640: an SVG's text shrinks with it, and on a 360 px phone the
    640-unit chart drew its month and count labels 5 px high (the page's CSS caps it at
    32rem on a wide screen, where the labels come out at body-text size)."""
    width, height, left, right, top, bottom = 400, 220, 52, 16, 14, 48
    known = [v for v in values if v is not None]
    ticks = axis_ticks(max(known) if known else 0)
    vmax = ticks[-1]
    n = len(values)
    step = (width - left - right) / max(1, n - 1)

    def x(i: int) -> float:
        return left + i * step

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - v / vmax)

    parts = [
        f'<svg class="chart trend" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" focusable="false">',
        f'<title id="{uid}-t">{_e(title)}</title>',
        f'<desc id="{uid}-d">'
        + _e(
            "; ".join(
                f"{lab}: {'missing' if v is None else f'{v:,}'}" for lab, v in zip(labels, values)
            )
        )
        + "</desc>",
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" '
        'stroke="#595959" stroke-width="1"/>',
    ]
    for v in ticks:
        parts.append(
            f'<line x1="{left}" y1="{y(v):.1f}" x2="{width - right}" y2="{y(v):.1f}" '
            'stroke="#d0d0d0" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" class="tick">'
            f"{int(v):,}</text>"
        )
    parts.append(f'<text x="{left - 6}" y="{y(0) + 4:.1f}" text-anchor="end" class="tick">0</text>')
    segment: list[str] = []
    segments = []
    for i, count in enumerate(values):
        if count is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{x(i):.1f},{y(count):.1f}")
    if segment:
        segments.append(segment)
    for seg in segments:
        parts.append(
            f'<polyline points="{" ".join(seg)}" fill="none" stroke="{SEQUENTIAL_RAMP[-2]}" '
            'stroke-width="2.5"/>'
        )
    for i, (lab, count) in enumerate(zip(labels, values)):
        if count is None:
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(0):.1f}" r="4" fill="#ffffff" '
                f'stroke="{OUTLINE_COLOUR}" stroke-dasharray="2 2"/>'
            )
        else:
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(count):.1f}" r="3.5" '
                f'fill="{SEQUENTIAL_RAMP[-2]}"/>'
            )
        if n <= 13 or i % 2 == 0 or i == n - 1:
            month, _, year = lab.partition(" ")
            mon = month[:3]  # (the axis has room for three letters a month)
            year_line = (
                f'<tspan x="{x(i):.1f}" dy="14">{_e(year)}</tspan>'
                if year and (i == 0 or mon == "Jan")
                else ""
            )
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 20}" text-anchor="middle" '
                f'class="tick">{_e(mon)}{year_line}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def bars_svg(rows: list[tuple[str, Optional[int], str]], title: str, uid: str) -> str:
    """Horizontal bars (label, value or None when hidden, colour), outlined so light colours
    still stand out; the value is written beside each bar.

    Each label stands on its own line above its bar, the bars 360 units wide: beside their
    bars in 640 units, the labels ("Not applicable (anti-social behaviour)") took 250 of them
    and on a 360 px phone came out 5 px high. Stacked, the longest label fits the width and
    reads at about 12 px on a phone (the page's CSS caps the chart at 28rem on a wide
    screen)."""
    width, label_h, bar_h, gap, right = 360, 16, 14, 10, 56
    row_h = label_h + bar_h + gap
    height = max(1, len(rows)) * row_h + 2
    vmax = max([v for _, v, _ in rows if v] + [1])
    parts = [
        f'<svg class="chart bars" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" focusable="false">',
        f'<title id="{uid}-t">{_e(title)}</title>',
        f'<desc id="{uid}-d">'
        + _e("; ".join(f"{lab}: {'hidden' if v is None else f'{v:,}'}" for lab, v, _ in rows))
        + "</desc>",
    ]
    for k, (lab, v, colour) in enumerate(rows):
        y0 = 1 + k * row_h
        bar_y = y0 + label_h + 2
        w = 0.0 if not v else (width - right - 1) * v / vmax
        parts.append(f'<text x="1" y="{y0 + label_h - 4}" class="lab">{_e(lab)}</text>')
        if w > 0:
            parts.append(
                f'<rect x="1" y="{bar_y}" width="{w:.1f}" height="{bar_h}" fill="{colour}" '
                f'stroke="{OUTLINE_COLOUR}" stroke-width="1"/>'
            )
        shown = "hidden" if v is None else f"{v:,}"
        parts.append(
            f'<text x="{1 + w + 6:.1f}" y="{bar_y + bar_h - 3}" class="lab">{shown}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(RESOURCES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["int"] = fmt_int
    env.filters["rate"] = fmt_rate
    return env


class SummaryRenderer:
    """Renders the pages of one Summaries (templates compiled once)."""

    def __init__(
        self,
        summaries: Summaries,
        slugs: list[str],
        teams: Optional[dict[str, Team]] = None,
        links: Optional[PageLinks] = None,
        force_name: str = "",
    ) -> None:
        from markupsafe import Markup

        self.s = summaries
        self.slugs = slugs
        self.teams = teams or {}
        # (whether any neighbourhood's page shows its team: a page without one then says the
        # teams were published but not this one's, not that none were)
        self.teams_published = any(shows_something(team) for team in self.teams.values())
        self.links = links or PageLinks()
        self.force_name = force_name
        env = _environment()
        self.page_template = env.get_template("page.html.j2")
        self.index_template = env.get_template("index.html.j2")
        self.css = Markup((RESOURCES / "summaries.css").read_text(encoding="utf-8"))
        self.threshold = summaries.options.suppress_below
        s = summaries
        end = s.month_pos(s.month)
        if end is None:  # compute_summaries always puts its month on the axis
            raise ValueError(f"the summaries' month {s.month} is not on their month axis")
        self.end: int = end
        self.trend_pos = s.trend_positions()
        # months in words ("November 2021") in the table and the chart's text: a screen
        # reader says "Nov" and "Sep" as written; only the chart's axis shortens them
        self.trend_labels = [
            month_label(s.months[p]) if 0 <= p < len(s.months) else "" for p in self.trend_pos
        ]
        self.period_text = period_label(s.period)
        self.previous_heading = previous_heading(s.options.period_months)
        # every area's counts by category over the period, summed once (not per page)
        period = s.period_positions(end)
        self.period_complete = all(0 <= p < len(s.months) and s.present[p] for p in period)
        self.period_counts = s.cube[:, period, :].sum(axis=1) if self.period_complete else None
        self.fig = {c: s.figures[c].to_numpy() for c in s.figures.columns}
        self.codes = s.area_codes()
        # each area's name as a page shows it (page_line, as its location labels are shown;
        # its code where nothing would show: a name of spaces and format characters alone)
        self.labels = [page_line(n) or c for n, c in zip(s.area_labels(), self.codes)]
        self.bounds = s.hoods.bounds()

    def assignment_text(self) -> str:
        """The index's line on how crimes were placed in neighbourhoods. Its counts cover
        every month the table holds (a year of history and the release), so it names those
        months: "60,433 crimes" stood alone under a month whose force total is 4,817. With
        small-count control it gives no counts at all: they are whole-table totals of the
        rows the table hides ("14 outside any neighbourhood" under "Outside any
        neighbourhood: hidden" gave the hidden count back)."""
        s = self.s
        if s.suppressed is not None:
            return (
                "Crimes are placed in a neighbourhood by their LSOA code where the lookup "
                "has it, otherwise by where their map point lies; how many each way is not "
                "given, since small counts are hidden"
            )
        held = [m for m, present in zip(s.months, s.present) if present]
        return f"{period_label(held)}, the months these pages draw on: {s.assignment.report()}"

    # cells -------------------------------------------------------------------------------
    def _hidden(self, area: int, pos: int, cat: int) -> bool:
        sup = self.s.suppressed
        return sup is not None and bool(sup[area, pos, cat])

    def count_text(self, value: Any, hidden: bool) -> str:
        if value is None or not math.isfinite(float(value)):
            return "n/a (months missing)"
        if hidden:
            return f"fewer than {self.threshold}" if value < self.threshold else "hidden"
        return fmt_int(value)

    def _trend_values(self, area: int) -> list[Optional[int]]:
        s = self.s
        out: list[Optional[int]] = []
        for p in self.trend_pos:
            if p < 0 or p >= len(s.months) or not s.present[p] or self._hidden(area, p, -1):
                out.append(None)
            else:
                out.append(int(s.cube[area, p, -1]))
        return out

    def page_context(self, i: int) -> dict[str, Any]:
        s, f = self.s, self.fig
        name = self.labels[i]
        code = self.codes[i]
        end = self.end
        cats = []
        bar_rows = []
        counts = self.period_counts
        for c, cat in enumerate(s.categories):
            value: Any = int(counts[i, c]) if counts is not None else None
            hidden = self._hidden(i, end, c)
            style = CATEGORY_STYLES.get(cat)
            colour = style.colour if style else NO_DATA_COLOUR
            cats.append({"name": cat, "text": self.count_text(value, hidden), "value": value})
            if hidden or value:
                bar_rows.append((cat, None if hidden else value, colour))
        outcome_rows = []
        outcome_table = []
        o_sup = s.outcomes_suppressed
        for k, group in enumerate(OUTCOME_COLUMNS):
            value = int(s.outcomes[i, k])
            hidden = o_sup is not None and bool(o_sup[i, k])
            if value or hidden:
                colour = OUTCOME_GROUP_COLOURS.get(group, NO_DATA_COLOUR)
                outcome_rows.append((group, None if hidden else value, colour))
                outcome_table.append({"name": group, "text": self.count_text(value, hidden)})
        trend = self._trend_values(i)
        count = f["count"][i]
        count_hidden = self._hidden(i, end, -1)
        family = s.similar[i] if i < s.n else []
        team = self.teams.get(code)
        if team is not None and not shows_something(team):
            team = None  # (an empty entry: no team information, as for a code not in the file)
        return {
            "name": name,
            "code": code,
            "force_name": self.force_name,
            "period": self.period_text,
            "count_text": self.count_text(s.cube[i, end, -1], count_hidden)
            if s.options.period_months == 1
            else fmt_int(count),
            "previous_change": fmt_change(f["change_previous"][i], f["change_previous_pct"][i]),
            "year_change": fmt_change(f["change_year"][i], f["change_year_pct"][i]),
            "previous_heading": self.previous_heading,
            "rate": fmt_rate(f["rate"][i]),
            "force_rate": fmt_rate(f["force_rate"][i]),
            "similar_rate": fmt_rate(f["similar_rate"][i]),
            "similar": [(self.labels[j], self.slugs[j]) for j in family],
            "rank": fmt_int(f["rank"][i]),
            "ranked_of": fmt_int(f["ranked_of"][i]),
            "population": fmt_int(f["population"][i]),
            "chance": CHANCE_TEXT.get(str(f["chance"][i]), "n/a"),
            "expected": (
                f"{fmt_int(f['expected_low'][i])} to {fmt_int(f['expected_high'][i])}"
                if np.isfinite(f["expected_low"][i])
                else "n/a"
            ),
            "categories": cats,
            "trend": list(
                zip(self.trend_labels, ["missing" if v is None else f"{v:,}" for v in trend])
            ),
            "trend_svg": trend_svg(
                self.trend_labels, trend, f"Crimes per month in {name}, last 12 months", "trend"
            ),
            "category_svg": bars_svg(
                bar_rows, f"Crimes by type in {name}, {self.period_text}", "cats"
            )
            if bar_rows
            else "",
            "outcome_svg": bars_svg(
                outcome_rows, f"Outcomes of crimes in {name}, {self.period_text}", "outcomes"
            )
            if outcome_rows
            else "",
            "outcomes": outcome_table,
            "locations": [(_location_text(label), n) for label, n in s.top_locations[i]],
            "team": team,
            "teams_published": self.teams_published,
            "slug": self.slugs[i] if i < s.n else "",
            "map_fragment": self.map_fragment(i),
            "links": self.links,
            "notes": method_notes(s.options.families),
            "extra_notes": s.notes,
            "threshold": self.threshold,
            "licence": LICENCE,
            "boundary_licence": BOUNDARY_LICENCE,
            "css": self.css,
            "total_label": TOTAL,
        }

    @cached_property
    def _map_choices(self) -> list[str]:
        """The period and the area shading the pages' map links ask for: only choices the
        web map offers. Why: the map leaves out (and says in a note that it left out) a part
        of its link it cannot use, and every page asked for a=rate and its own period: a map
        without populations, or with fewer months than the period, greeted each reader
        following the summaries' own link with that note. The period is asked for when the
        map offers it (one month, or the last 3 or 12 when the summaries hold that many
        months ending at theirs: the map made beside them holds the same); shading by rate
        when some neighbourhood has residents (else by count)."""
        s = self.s
        months = int(np.count_nonzero(s.present[max(0, self.end - 11) : self.end + 1]))
        period = s.options.period_months
        parts = [f"n={period}"] if period == 1 or (period in (3, 12) and months >= period) else []
        population = np.asarray(self.fig["population"][: s.n], dtype=float)
        parts.append("a=rate" if np.any(population > 0) else "a=count")
        return parts

    def map_fragment(self, i: int) -> str:
        """The web map's permalink for this neighbourhood and period (core.publish.webmap's
        hash: m=month, n=months, ll=lat,lon, z=zoom, a=areas mode)."""
        s = self.s
        parts = [f"m={s.month}", *self._map_choices]
        if i < s.n and np.isfinite(self.bounds[i]).all():
            minx, miny, maxx, maxy = self.bounds[i]
            span = max(maxx - minx, (maxy - miny) * 1.6, 1e-4)
            zoom = int(max(4, min(18, math.floor(math.log2(360.0 / span)) + 1)))
            parts += [f"z={zoom}", f"ll={(miny + maxy) / 2:.3f},{(minx + maxx) / 2:.3f}"]
        return "#" + "&".join(parts)

    def render_page(self, i: int) -> str:
        from markupsafe import Markup

        ctx = self.page_context(i)
        for key in ("trend_svg", "category_svg", "outcome_svg"):
            ctx[key] = Markup(ctx[key])  # built here from escaped parts
        return self.page_template.render(ctx)

    def index_rows(self) -> list[dict[str, Any]]:
        s, f = self.s, self.fig
        rows = []
        end = self.end
        for i in range(s.n):
            hidden = self._hidden(i, end, -1)
            count = s.cube[i, end, -1] if s.options.period_months == 1 else f["count"][i]
            pct = f["change_previous_pct"][i]
            rows.append(
                {
                    "name": self.labels[i],
                    "slug": self.slugs[i],
                    "count": self.count_text(count, hidden),
                    "count_sort": ""
                    if hidden or not np.isfinite(float(count))
                    else str(int(count)),
                    "change": fmt_change(f["change_previous"][i], pct),
                    "change_sort": f"{pct:.3f}" if np.isfinite(pct) else "",
                    "rate": fmt_rate(f["rate"][i]),
                    "rate_sort": f"{f['rate'][i]:.4f}" if np.isfinite(f["rate"][i]) else "",
                    "rank": fmt_int(f["rank"][i]),
                    "rank_sort": f"{f['rank'][i]:.0f}" if np.isfinite(f["rank"][i]) else "",
                    "chance": CHANCE_TEXT.get(str(f["chance"][i]), "n/a").split(" (")[0],
                }
            )
        return rows

    def render_index(self) -> str:
        s, f = self.s, self.fig
        force = s.force_row
        pseudo = []
        for i in (s.n, s.n + 1, force):
            pseudo.append(
                {
                    "name": self.labels[i],
                    "count": self.count_text(
                        s.cube[i, self.end, -1], self._hidden(i, self.end, -1)
                    ),
                }
            )
        return self.index_template.render(
            {
                "force_name": self.force_name,
                "period": self.period_text,
                "rows": self.index_rows(),
                "pseudo": pseudo,
                "force_rate": fmt_rate(f["force_rate"][force]),
                "previous_heading": self.previous_heading,
                "links": self.links,
                "notes": method_notes(s.options.families),
                "extra_notes": s.notes,
                "assignment": self.assignment_text(),
                "licence": LICENCE,
                "boundary_licence": BOUNDARY_LICENCE,
                "css": self.css,
                "threshold": self.threshold,
            }
        )
