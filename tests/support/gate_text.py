"""Texts and pages the leak gate's text tests share: the pieces its text patterns are about
(random texts made of them, to compare a fast path with its reference), a templated page
and a site of 400 of them beside a clean release (planted leaks go into one page), and the
pieces of HTML the page reader's fast path is compared on.

Why here: six test modules use them; a test module importing another's helpers runs that
module's collection-time code and hides where the helpers live.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from crime_mapper.core.gate import scan
from crime_mapper.core.gate.checks import _BARE_NUMBER

# --- text patterns per distinct segment ---------------------------------------------------
SEGMENT_PATTERNS = (
    [p for _k, p in scan.DATE_PATTERNS]
    + [scan.TIME_PATTERN]
    + [p for _k, p in scan.OTHER_TIME_PATTERNS]
    + [scan.PHONE, scan.EMAIL, scan.NUMBER, scan.GRID_NUMBER, scan.OS_GRID, scan.HEX_TOKEN]
    + [scan.METRE_NUMBER]
    + [scan.DECIMAL_4, scan.INTEGER_TOKEN, _BARE_NUMBER]
)
PIECES = [
    "12", "1257", "0930", "9", ".30", ":45", "pm", "PM", "a.m.", "hrs", "Hours", "h", "am",
    "2022-10-15", "15/10/2022", "15 October 2022", "Oct 15th", "25th of May", "\n", "\n",
    "\n", "\n\n", " ", " ", "\t", "\r\n", "0116", "496 0000", "+44", "(0)", "(", ")",
    "07700 900123", "jo@example.org", "SK", "NZ 22089", "63784", "458123", "301234.5",
    "-1.13451", "52.63412", "d41d8cd98f00b204e9800998ecf8427e", "\u00a0", "\u0660\u0661",
    "K", "\u212a", "\u017f", "x", "-", "/", ".", ":", "\x00", "abc", "\n h", "\nA", "\n(",
]  # fmt: skip


def random_segmented_text(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40)))


# --- free-text runs: texts of words and separators of every kind the folding treats --------
RUN_PIECES = (
    ["crime", "Crime", "IN", "hood", "3", "2022", "of", "the", "a", "Straße", "café", "x1y2"]
    + ["On or near", "Élan", "o'clock", "self-harm", "#x", "\u00a0", "\u2028", "\ud800"]
    + [" ", "  ", "\t", "\r", "\n", "\n", "\n", "\nh", "\nA", "\n ", "\n1", "\n(", "\n\n"]
    + ["\x00", ".", ",", ": ", "-", "\u00e9\u0301", "ÀB"]
)


def run_text(rng: random.Random) -> str:
    """A random text of RUN_PIECES, of 0 to 200 of them."""
    return "".join(rng.choice(RUN_PIECES) for _ in range(rng.choice([0, 1, 3, 8, 20, 60, 200])))


# --- templated pages ----------------------------------------------------------------------
PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Crime in {name}, "
    "October 2022</title><style>body{{font:16px/1.5 sans-serif}}</style></head><body>"
    "<h1>Crime in {name}</h1><p>October 2022: <b>{n}</b> crimes, <b>{rate}</b> per 1,000 "
    "residents.</p><ul><li>Oct 2021: missing</li><li>Oct 2022: {n}</li></ul>"
    "<p>Similar neighbourhoods: the closest in population density and in the mix of crime "
    "types over the last 12 months.</p>{extra}</body></html>"
)


def write_pages_site(site: Path, clean_folder: Path) -> Path:
    """``clean_folder`` (a clean release folder) copied to ``site``, plus 400 templated
    pages."""
    shutil.copytree(clean_folder, site)
    for i in range(400):
        (site / f"hood-{i}.html").write_text(
            PAGE.format(name=f"Hood {i}", n=i % 37, rate=f"{i % 9}.{i % 10}", extra=""),
            encoding="utf-8",
        )
    return site


def planted(site: Path, tmp_path: Path, extra: str, page: int = 217) -> Path:
    """A copy of ``site`` with page ``page`` carrying ``extra`` (a planted leak)."""
    dst = tmp_path / "site"
    shutil.copytree(site, dst)
    (dst / f"hood-{page}.html").write_text(
        PAGE.format(name=f"Hood {page}", n=3, rate="1.2", extra=extra), encoding="utf-8"
    )
    return dst


# --- HTML: the page reader's fast path against html.parser ----------------------------------
HTML_PIECES = [
    "<p>", "</p>", "<div class=\"a\">", "</div>", "text", " more text ", "\n", "&amp;", "&lt;",
    "&gt;x", "&copy", "&#39;", "&#x41;", "&unknown;", "& ", "&", "<br>", "<br/>", "<br />",
    "<img alt='a &amp; b' src=x.png>", "<img alt=x/>", "<img alt=x />", "<a href=a/b>",
    "<a href=\"#\" title=\"\">", "<a title=a\u00a0b>", "<a title='a>b'>", "<input disabled>",
    "<input value = \"spaced\">", "<INPUT VALUE=\"Upper\">", "<x-y a=\"1\">", "</x-y>",
    "<!-- a comment -->", "<!---->", "<!-->", "<!-- -- -->", "<![CDATA[ hidden ]]>", "<?pi x?>",
    "<!DOCTYPE html>", "<!doctype HTML>", "<!DOCTYPE html PUBLIC>", "a < b", "<", ">", "<3",
    "<script>var a = 1;</script>", "<script type=\"application/json\">{\"k\": \"v\"}</script>",
    "<script type='Application/JSON'>[1, 2]</script>", "<script>if (a < b) {}</script>",
    "<script>document.write('</p>')</script>", "<script><!-- x --></script>", "<script>",
    "</script>", "<SCRIPT>x=1</SCRIPT>", "<script>y=2</SCRIPT>", "<script/>", "<style>",
    "<style>a>b{}</style>", "</style>", "<title>T &amp; U</title>", "<title>", "</title>",
    "<title><b>x</b>",
    "<textarea>raw <b></textarea>", "<noscript>n</noscript>", "<svg><title id=t>s</title></svg>",
    "<p\tclass=\"t\"\n>", "<p class=\"a\"class=\"b\">", "<p a==b>", "</p >", "</ p>", "<p/x>",
    "\u00e9", "\u2028", "\r\n", "<a href=\"javascript:alert(1)\">",
]  # fmt: skip


def assert_read_without_second_parse(pages: list[Path]) -> None:
    """Each of our pages takes the gate's fast read, whose text as shown (links and bold in
    prose joined to their paragraph) is read from the same split, and holds no format
    character (core.gate.output_reader._joined_runs): no page is parsed by html.parser."""
    from crime_mapper.core.gate import output_reader

    assert pages
    for path in pages:
        page = path.read_text(encoding="utf-8")
        assert output_reader._plain_html(page) is not None, path.name  # (the fast read)
        assert output_reader.FORMAT_CHARACTERS.search(page) is None, path.name
