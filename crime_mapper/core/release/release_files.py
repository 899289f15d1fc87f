"""Release file rules shared by every way of making a release: the salt file, the names,
the leak gate's audit entry and error message, and the release manifest.

Why a core module: the QGIS release writer (qgis_bridge.run_anonymise), the Processing
algorithm, the Release panel and the command line (which runs without QGIS, for scheduled
monthly jobs) must refuse the same salt files, give the public CSV the same police.uk-style
name, record the gate the same way and describe the release in the same manifest, so the
rules live here once, in plain Python, importable without QGIS.

The salt comes from a file, never from a typed-in string: Processing records every parameter
value in its history log, and a salt in that log would let anyone recompute Crime IDs from
guessed references. The salt file must not lie inside an output folder (it would be
published with the release).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar, Union

import numpy as np
import pandas as pd

from ..common.layer_source import split_layer_source
from ..common.staging import file_sha256
from ..common.text_file import (
    NOT_FOUND,
    UnresolvablePath,
    made_folder,
    not_found,
    path_problem,
    shown_line,
    shown_path,
)
from .map_points_files import MAP_POINTS_TABLE
from .release_limits import ReleaseInputError, inside_folder

PathLike = Union[str, "os.PathLike[str]"]
T = TypeVar("T")

# The audit and manifest file names inside a release folder (the public CSV is named by
# public_csv_name).
RELEASE_NAMES = {
    "audit_json": "audit.json",
    "audit_html": "audit.html",
    "manifest": "release_manifest.json",
}
SALT_BYTES = 32  # create_salt_file: 32 random bytes, written as 64 hex characters
MANIFEST_VERSION = 1
# What a manifest records as the QGIS version when no QGIS made the release.
NO_QGIS_VERSION = "none (command line)"

# police.uk file-name slugs where "Reported by" does not simply lose its last word.
_FORCE_SLUGS = {
    "metropolitan police service": "metropolitan",
    "city of london police": "city-of-london",
    "british transport police": "btp",
    "police service of northern ireland": "northern-ireland",
    "avon and somerset constabulary": "avon-and-somerset",
    "devon & cornwall police": "devon-and-cornwall",
    "devon and cornwall police": "devon-and-cornwall",
    "dyfed-powys police": "dyfed-powys",
}
_FORCE_SUFFIXES = (" police service", " constabulary", " police")


# --- salt -----------------------------------------------------------------------------------


def create_salt_file(path: PathLike) -> Path:
    """Write a new secret salt (32 random bytes as 64 hex characters) readable only by you.

    Refuses to overwrite: replacing a force's salt changes every Crime ID of every later
    release, so that must be a deliberate act (delete the old file first).
    """
    path = Path(path)
    made_folder(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(str(path), flags, 0o600)
    except FileExistsError as exc:
        raise ReleaseInputError(
            f"{shown_path(path)} already exists: a salt is never overwritten (every Crime ID would "
            "change); choose a new file name"
        ) from exc
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(SALT_BYTES) + "\n")
    os.chmod(path, 0o600)  # also where the umask would have widened it
    return path


def _salt_inside(salt: Path, folder: Path) -> bool:
    """inside_folder(salt, folder); an output folder the system cannot follow (a loop of
    symbolic links) is refused naming it, as no salt's place in it can be checked and no
    release written there. Why: it escaped ``anonymise --out`` as a traceback."""
    try:
        return inside_folder(salt, folder)
    except UnresolvablePath as exc:
        raise ReleaseInputError(f"The output folder {exc}") from exc


# A UTF-8 byte-order mark: what an editor (Notepad) may put before the text on a re-save.
_UTF8_BOM = b"\xef\xbb\xbf"
# Byte-order marks of UTF-16 and UTF-32 (UTF-32 LE's begins with UTF-16 LE's).
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
# The bytes of a text salt once NULs are taken out: printable ASCII and white space.
_TEXT_BYTES = frozenset(range(0x20, 0x7F)) | frozenset(b"\t\r\n")


def _re_encoded_text(raw: bytes) -> bool:
    """Whether a salt file is a text salt re-encoded as UTF-16 or UTF-32 (an editor's "Save
    as Unicode"), or a text salt with a NUL written into it: NUL bytes between printable
    ASCII, after any wide byte-order mark.

    A salt of random bytes (``openssl rand 32 > force.salt``) is a salt too, and one in eight
    of 32 such bytes holds a NUL (one in 65,536 begins as a byte-order mark): refusing every
    NUL refused those salts at random. Their other bytes are not all printable ASCII, so they
    are taken as they are."""
    body = raw
    for bom in _WIDE_BOMS:
        if raw.startswith(bom):
            body = raw[len(bom) :]
            break
    if b"\x00" not in body and body is raw:
        return False
    text = body.replace(b"\x00", b"")
    return bool(text.strip()) and set(text) <= _TEXT_BYTES


def _salt_text(raw: bytes, name: str) -> bytes:
    """The salt in a salt file's bytes: without the white space and UTF-8 byte-order mark an
    editor's re-save adds, since those would change every Crime ID while the salt looks the
    same; a text salt re-encoded as UTF-16 or UTF-32 (a byte-order mark, or NUL bytes between
    the characters) is refused, since its bytes are not the salt's either and cannot be told
    apart from a different salt by the hash. Random bytes are a salt as they are."""
    if _re_encoded_text(raw):
        raise ReleaseInputError(
            f"The salt file {name} was re-encoded (it holds a UTF-16/UTF-32 byte-order mark or "
            "NUL bytes between its characters), which would change every Crime ID. Save it "
            "again as plain text (UTF-8 or ASCII) with the same characters, or restore the "
            "original file."
        )
    return raw.strip().removeprefix(_UTF8_BOM).strip()


def read_salt(salt_file: Optional[PathLike], output_dirs: Sequence[PathLike] = ()) -> bytes:
    """The salt bytes from ``salt_file`` (surrounding whitespace and a UTF-8 byte-order mark
    removed), checked.

    The salt is the bytes as written, not a number written in hex: a salt may be any random
    text (base64 too), so upper-case hex is another salt with other Crime IDs, as a salt
    with any other character changed would be.

    Refused: no file chosen, a missing or empty file, a text salt re-encoded as UTF-16 or
    UTF-32 (or with a NUL byte written into it; random bytes are a salt), a salt shorter than
    public_schema.MIN_SALT_BYTES, a file larger than MAX_SALT_FILE_BYTES (another file chosen
    by mistake, say the extract: read whole and scored, it would take memory and time without
    end), and a salt file inside an output folder.
    """
    from .public_schema import MIN_SALT_BYTES

    if not salt_file:
        raise ReleaseInputError(
            "No salt file chosen. Crime IDs are keyed hashes of the crime references: choose "
            "the force's salt file (or create one with 'Create new salt…'), kept outside "
            "the release folder and reused every month."
        )
    path = Path(salt_file)
    name = shown_path(path)  # (as every message shows a path: control characters escaped)
    if path.is_dir():
        raise ReleaseInputError(f"The salt file {name} is a folder: choose the salt file itself")
    problem = path_problem(path)
    if problem == NOT_FOUND:
        raise ReleaseInputError(not_found("Salt file", path))
    if problem:  # (a FIFO or a device was called missing: it is there, and no salt)
        raise ReleaseInputError(f"The salt file {name} {problem}")
    for folder in output_dirs:
        if _salt_inside(path, Path(folder)):
            raise ReleaseInputError(
                f"The salt file {name} is inside the output folder {shown_path(folder)}: it "
                "would be published with the release. Keep the salt outside every output folder."
            )
    try:
        size = path.stat().st_size
        if size > MAX_SALT_FILE_BYTES:
            raise ReleaseInputError(
                f"The salt file {name} holds {size:,} bytes: a salt is a short random text "
                f"(at most {MAX_SALT_FILE_BYTES:,} bytes; 'Create new salt…' writes 64 hex "
                "digits). Is it the right file?"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ReleaseInputError(f"Cannot read the salt file {name}: {exc}") from exc
    salt = _salt_text(raw, name)
    if not salt:
        raise ReleaseInputError(f"The salt file {name} is empty.")
    if len(salt) < MIN_SALT_BYTES:
        raise ReleaseInputError(
            f"The salt in {name} is {len(salt)} bytes; at least {MIN_SALT_BYTES} are needed "
            "(a short salt lets anyone recompute Crime IDs from guessed references)."
        )
    bits, why = salt_strength(salt)
    if bits < MIN_SALT_BITS:
        raise ReleaseInputError(
            f"The salt in {name} does not look random: about {bits:.0f} bits of guessing "
            f"work ({why}); at least {MIN_SALT_BITS} are needed. A chosen or patterned salt "
            "lets anyone recompute Crime IDs; create one with 'Create new salt…' (or "
            "'python -m crime_mapper.cli salt --new FILE') instead."
        )
    return salt


# The entropy test. A salt is scored as the work of guessing it by its cheapest description:
# it is split left to right into pieces, each charged what an attacker who knows the trick
# needs to pick it:
#   - a common password word (WEAK_WORDS, any case): log2(len(WEAK_WORDS)) + 1 bits;
#   - a repeat of text seen earlier (3+ characters): log2(position) + log2(length) bits;
#   - a run of 3+ characters that repeat or step by one (aaaa, 1234, dcba): the first two
#     characters as single characters, the rest log2(length) bits;
#   - a year (19xx, 20xx): log2(200) bits;
#   - a word of 5+ letters (one case, or capitalised as in CamelCase) that reads like one (a
#     quarter to two thirds vowels, no more than three consonants or two vowels in a row, as
#     "Leicestershire"; not looked for in hex salts): 2 bits a letter, about what English
#     text carries;
#   - any other character: log2(size of the smallest alphabet holding the whole salt), the
#     alphabets being digits (10), hex (16), one-case letters (26), one-case letters and
#     digits (36), letters and digits (62), printable ASCII (95) and bytes (256).
# Measured: random salts of 24+ hex digits or 22+ base64 characters always pass (the 64 hex
# digits create_salt_file writes score about 250 bits); shorter hand-made random salts are
# refused now and then (16 letters and digits: about 1 in 40; 20 hex digits: 1 in 30), which
# is the point: make salts with create_salt_file. Refused: "aaaaaaaaaaaaaaaa" (~12 bits),
# "0000000000000000" (~11), "password12345678" (~19), "passwordpassword" (~12),
# "Leicestershire2022!" (~22), "leicestershire-police-2022-release" (~50) and the like.
MIN_SALT_BITS = 72
#: A salt file larger than this is not a salt (64 hex digits are written; 16 times that
#: leaves room for any key a force might keep, with its line ends and comments).
MAX_SALT_FILE_BYTES = 1024
WEAK_WORDS = (
    # the commonest password words and keyboard walks
    "password", "passw0rd", "secret", "letmein", "welcome", "qwerty", "asdf", "zxcv", "admin",
    "changeme", "default", "example", "monkey", "dragon", "master", "login", "iloveyou",
    "football", "sunshine", "hello", "test", "abc", "xyz",
    # what a force would reach for
    "salt", "pepper", "key", "value", "police", "crime", "force", "constabulary", "release",
    "month", "data", "public", "street", "map", "avon", "somerset", "bedfordshire",
    "cambridgeshire", "cheshire", "cleveland", "cumbria", "derbyshire", "devon", "cornwall",
    "dorset", "durham", "dyfed", "powys", "essex", "gloucestershire", "manchester", "gwent",
    "hampshire", "hertfordshire", "humberside", "kent", "lancashire", "leicestershire",
    "lincolnshire", "london", "merseyside", "metropolitan", "norfolk", "northamptonshire",
    "northumbria", "nottinghamshire", "wales", "yorkshire", "staffordshire", "suffolk",
    "surrey", "sussex", "thames", "valley", "warwickshire", "mercia", "midlands",
    "wiltshire", "scotland", "ireland", "transport", "leicester", "newcastle",
)  # fmt: skip
_ALPHABETS = (
    (b"0123456789", 10),
    (b"0123456789abcdef", 16),
    (b"0123456789ABCDEF", 16),
    (b"abcdefghijklmnopqrstuvwxyz", 26),
    (b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 26),
    (b"abcdefghijklmnopqrstuvwxyz0123456789", 36),
    (b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 36),
    (b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 62),
    (bytes(range(32, 127)), 95),
)


def salt_strength(salt: bytes) -> tuple[float, str]:
    """Estimated bits of guessing work for a salt, and the patterns found (the test above)."""

    distinct = set(salt)
    size = next((n for chars, n in _ALPHABETS if distinct <= set(chars)), 256)
    per_char = math.log2(size)
    lowered = salt.lower()
    words = [w.encode() for w in WEAK_WORDS]
    bits, i, found = 0.0, 0, []
    while i < len(salt):
        word = next((w for w in words if lowered.startswith(w, i)), None)
        if word is not None:
            bits += math.log2(len(words)) + 1
            found.append(f"the word {word.decode()!r}")
            i += len(word)
            continue
        repeat = _longest_repeat(salt, i)
        if repeat >= 3:
            bits += math.log2(max(i, 2)) + math.log2(repeat)
            found.append("repeated text")
            i += repeat
            continue
        if _YEAR.match(salt, i):
            bits += math.log2(200)
            found.append("a year")
            i += 4
            continue
        wordlike = _wordlike_length(salt, i) if size > 16 else 0  # hex holds no words
        if wordlike:
            bits += 2.0 * wordlike
            found.append("word-like letters")
            i += wordlike
            continue
        run = _run_length(salt, i)
        if run >= 3:
            bits += 2 * per_char + math.log2(run)
            found.append("a run or sequence")
            i += run
            continue
        bits += per_char
        i += 1
    why = ", ".join(dict.fromkeys(found)) or f"{len(salt)} characters from {size} symbols"
    return bits, why


_YEAR = re.compile(rb"(19|20)\d\d(?!\d)")
_LETTERS = re.compile(rb"(?:[A-Z][a-z]{4,}|[a-z]{5,}|[A-Z]{5,})(?![a-z])")
_VOWELS = frozenset(b"aeiouyAEIOUY")


def _wordlike_length(salt: bytes, i: int) -> int:
    """Length of the letter run at i if it reads like a word (see the test above), else 0."""
    if i > 0 and 97 <= salt[i - 1] <= 122:
        return 0  # only whole words are judged (CamelCase starts a new one)
    match = _LETTERS.match(salt, i)
    if not match:
        return 0
    run = match.group()
    vowels = sum(c in _VOWELS for c in run)
    if not 0.25 <= vowels / len(run) <= 0.67:
        return 0
    pattern = "".join("v" if c in _VOWELS else "c" for c in run)
    if "cccc" in pattern or "vvv" in pattern:
        return 0
    return len(run)


def _longest_repeat(salt: bytes, i: int) -> int:
    """The longest text starting at i that also starts earlier (overlaps allowed). Why
    ``find`` rather than comparing from every earlier start: that is quadratic in Python at
    each position; a text of length n starts before i exactly when ``find`` meets it ending
    before i + n, and a shorter prefix repeats whenever a longer one does."""
    n = 0
    while i + n < len(salt) and salt.find(salt[i : i + n + 1], 0, i + n) != -1:
        n += 1
    return n


def _run_length(salt: bytes, i: int) -> int:
    """Characters from i that repeat or step by one (same step throughout)."""
    if i + 1 >= len(salt):
        return 1
    step = salt[i + 1] - salt[i]
    if step not in (-1, 0, 1):
        return 1
    n = 2
    while i + n < len(salt) and salt[i + n] - salt[i + n - 1] == step:
        n += 1
    return n


# --- names ----------------------------------------------------------------------------------


def force_slug(name: str) -> str:
    """police.uk's file-name slug for a force ("Leicestershire Police" -> "leicestershire")."""
    text = str(name).strip().lower()
    if text in _FORCE_SLUGS:
        return _FORCE_SLUGS[text]
    for suffix in _FORCE_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    slug = re.sub(r"[^a-z0-9]+", "-", text.replace("&", " and ")).strip("-")
    return slug or "force"


def public_csv_name(
    public: pd.DataFrame, input_months: Sequence[str] = (), input_forces: Sequence[str] = ()
) -> str:
    """The police.uk-style name of a public CSV: ``2022-10-leicestershire-street.csv``;
    ``2022-09_2022-10-...`` for several months; ``multiple-forces`` for several forces.

    ``input_months`` and ``input_forces``: those of the rows the release was made from (the
    audit's ``input``), used when the public table has none. Why: a release whose every
    crime is withheld by rule publishes a header alone, and was named
    ``no-month-force-street.csv``, a file no one looking for October's release would find
    (and which the next empty month would replace). With no month anywhere the release
    cannot be named, and a ReleaseInputError says so."""
    months = sorted({m for m in public["Month"].tolist() if m})
    forces = sorted({f for f in public["Reported by"].tolist() if f})
    if not months:
        months = sorted({str(m) for m in input_months if m})
    if not forces:
        forces = sorted({str(f) for f in input_forces if f})
    if not months:
        raise ReleaseInputError(
            "the release cannot be named: neither its rows nor the crimes it was made from "
            "have a month"
        )
    span = months[0] if len(months) == 1 else f"{months[0]}_{months[-1]}"
    force = (
        force_slug(forces[0]) if len(forces) == 1 else ("multiple-forces" if forces else "force")
    )
    return f"{span}-{force}-street.csv"


# --- fingerprints ---------------------------------------------------------------------------


def sha256_file(path: PathLike) -> str:
    """Hex SHA-256 of a file (release files can be large: common.staging.file_sha256)."""
    return file_sha256(path)[0].hex()


#: SHA-256 of the large files this process hashed, by the file's identity (device, inode,
#: size, modification time) when it was hashed: file_entry(reuse=True) takes a digest from
#: here only for a file whose identity is still the same
_DIGESTS: dict[tuple, str] = {}
_REMEMBERED_FROM_BYTES = 1 << 20  # small files are hashed again: cheaper than remembering
_REMEMBERED_AT_MOST = 256


def file_entry(path: PathLike, *, reuse: bool = False) -> dict:
    """A manifest entry for one file: its name, SHA-256 and size (no folder: the manifest
    must not depend on where the release was made).

    ``reuse``: take the SHA-256 this process already computed for this very file (same
    device, inode, size and modification time), instead of reading it again. Why: a
    monthly release's manifest lists the load's crimes GeoPackage and the public CSV and
    GeoPackage, half a gigabyte nationally, which the load and the anonymise step hashed
    minutes before (staged files keep their inode and time when moved into place). A file
    replaced or rewritten since has another identity and is read again; only a rewrite
    to the same size that also keeps the modification time (to the nanosecond the file
    system records) would go unseen, which the release's own writes never do."""
    path = Path(path)
    before = _identity(path)
    digest = _DIGESTS.get(before) if reuse else None
    if digest is None:
        digest = sha256_file(path)
        after = _identity(path)
        if after == before:
            remember_digest(after, digest)
        before = after
    return {"name": path.name, "sha256": digest, "bytes": before[2]}


def remembered_digests() -> dict[tuple, str]:
    """A copy of the digests :func:`remember_digest` holds (file identity -> hex SHA-256),
    for work done in a forked child to send back what it hashed (core.release.gpkg_beside)."""
    return dict(_DIGESTS)


def remember_digest(identity: tuple, digest: str) -> None:
    """Remember ``digest`` (hex SHA-256) as that of the file whose identity (device, inode,
    size, modification time, as :func:`file_entry` takes it) was ``identity`` both before
    and after its bytes were hashed, for :func:`file_entry` (reuse=True).

    Why: the leak gate hashes each public file it checks afresh (its proof that the file
    is still its writer's bytes: core.gate.output_reader), and the manifest then read the
    same file again for the same digest. Give only a digest of the file's bytes read while
    it had this identity (never one a writer computed from what it meant to write)."""
    if identity[2] < _REMEMBERED_FROM_BYTES:
        return
    if len(_DIGESTS) >= _REMEMBERED_AT_MOST:
        _DIGESTS.pop(next(iter(_DIGESTS)), None)
    _DIGESTS[identity] = digest


def _identity(path: Path) -> tuple:
    stat = path.stat()
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def read_described(path: PathLike, read: Callable[[Path], T]) -> tuple[T, dict]:
    """``read(path)``, and the manifest entry of the file as it was read.

    The SHA-256 is taken just before reading and the file's identity (device, inode, size,
    modification time) is checked unchanged after, so a file replaced or rewritten while the
    run reads it is refused, never described in place of what the release was made from."""
    path = Path(path)
    try:
        before = _identity(path)
        entry = file_entry(path)
        value = read(path)
        after = _identity(path)
    except FileNotFoundError as exc:
        raise ReleaseInputError(f"{shown_path(path)} disappeared while it was being read") from exc
    if before != after:
        raise ReleaseInputError(
            f"{shown_path(path)} changed while it was being read: the release would not "
            "describe what it was made from. Run it again once the file is settled."
        )
    return value, entry


def loaded_file_entries(reports: Sequence[Any]) -> list[dict]:
    """Manifest entries for the extracts a load read, from the SHA-256 the loader took of
    the bytes it read (schema.FileReport); a zip member is named ``archive.zip:member``."""
    entries = []
    for report in reports:
        if report.sha256 is None:
            continue  # never read (its error is in the file errors)
        name = str(report.path)
        if ".zip:" in name:
            archive, member = name.split(".zip:", 1)
            name = f"{Path(archive + '.zip').name}:{member}"
        else:
            name = Path(name).name
        entries.append({"name": name, "sha256": report.sha256, "bytes": report.bytes})
    return sorted(entries, key=lambda e: e["name"])


def points_fingerprint(points: Any) -> str:
    """SHA-256 over the map points' published content (coordinates, labels, LSOA)."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(points.longitude, dtype="<f8").tobytes())
    digest.update(np.ascontiguousarray(points.latitude, dtype="<f8").tobytes())
    for column in (points.label, points.lsoa_code, points.lsoa_name):
        values = column.tolist() if isinstance(column, np.ndarray) else list(column)
        if not {str}.issuperset(map(type, values)):  # (exactly str: str(v) is v itself)
            values = [str(v) for v in values]
        digest.update("\x1f".join(values).encode("utf-8"))
    return digest.hexdigest()


def map_points_entry(
    points: Any,
    description: str = "map points",
    files: Sequence[PathLike] = (),
    layer: Optional[str] = None,
) -> dict:
    """The manifest's ``inputs.map_points`` section for a set of map points; ``layer``: the
    GeoPackage layer they were read from, when the source named one (``|layername=``)."""
    return {
        "description": description,
        "count": len(points),
        "sha256": points_fingerprint(points),
        "sources": sorted({str(s) for s in points.source.tolist()}),
        "files": [with_layer(file_entry(p), layer) for p in map(Path, files) if p.is_file()],
    }


def with_layer(entry: dict, layer: Optional[str]) -> dict:
    """A file's manifest entry with the layer read from it. Unchanged for none named or the
    file's own map_points layer (what a plain path reads): a release records what it always
    did, whether QGIS passed the layer as ``path|layername=map_points`` or a path was given."""
    return entry if layer in (None, MAP_POINTS_TABLE) else {**entry, "layer": layer}


def map_points_file_entry(points: Any, path: PathLike, as_read: Optional[dict] = None) -> dict:
    """:func:`map_points_entry` for map points read from a file (a QGIS ``path|layername=``
    URI names its file before the ``|``), so every writer describes the file alike.
    ``as_read``: the file's entry taken as it was read (read_described), listed instead of
    hashing the file again."""
    text, layer = split_layer_source(path)
    file = Path(text)
    if as_read is not None:
        entry = map_points_entry(points, f"map points file {file.name}")
        entry["files"] = [with_layer(as_read, layer)]
        return entry
    return map_points_entry(points, f"map points file {file.name}", [file], layer)


def input_files(paths: Sequence[PathLike]) -> list[Path]:
    """Every file a list of inputs names (folders searched for .csv and .zip), sorted: what
    a release manifest fingerprints."""
    found: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.update(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".csv", ".zip")
            )
        elif path.is_file():
            found.add(path)
    return sorted(found)


def extracts_description(files: Sequence[PathLike]) -> str:
    """The manifest's description of crimes loaded afresh from extract files."""
    return f"{len(files)} extract file(s)"


# --- the gate -------------------------------------------------------------------------------


def combined_gate_entry(reports: Mapping[str, Any]) -> dict:
    """One audit entry for the gate runs on several outputs (label -> GateReport): every
    check tagged with the output it ran on."""
    checks = []
    for label, report in reports.items():
        for check in report.to_dict().get("checks", []):
            checks.append({**check, "output": label})
    return {
        "passed": all(r.passed for r in reports.values()),
        "checks": checks,
        "outputs": list(reports),
    }


def gate_error_message(failures: Mapping[str, Any]) -> str:
    """What the analyst is told when the gate stops a release (label -> failed GateReport)."""
    lines = [
        "The leak gate stopped this release: nothing was written and the previous "
        "outputs are unchanged."
    ]
    for label, report in failures.items():
        lines.append(f"{shown_line(label)}: {report.message()}")
    return "\n".join(lines)


# --- the manifest ---------------------------------------------------------------------------


def build_manifest(
    *,
    crimes_description: str,
    crimes_files: Sequence[PathLike],
    crimes_entries: Optional[Sequence[dict]] = None,
    points_entry: dict,
    rules: Any,
    rules_path: Optional[PathLike],
    profile_path: Optional[PathLike],
    max_distance_m: float,
    salt_fingerprint: str,
    audit: dict,
    staged: Sequence[tuple[Path, Path]],
    qgis_version: Optional[str],
    rules_entry: Optional[dict] = None,
    profile_entry: Optional[dict] = None,
) -> dict:
    """The release manifest: what went in, with which settings, what came out.

    ``staged`` pairs each output's final path with the staged file that holds its bytes (the
    manifest is written before the outputs move into place). ``qgis_version`` is None when
    no QGIS made the release (the command line). ``crimes_entries``, ``rules_entry`` and
    ``profile_entry`` describe the inputs as they were read (loaded_file_entries,
    read_described); without them the files are hashed now. No wall-clock time and no
    folders: the same release gives the same manifest bytes wherever it was made.
    """
    from ... import plugin_version

    totals = audit.get("totals", {})
    # the release QA's verdict and findings, where the release was given its QA report
    qa = {"release_qa": audit["release_qa"]} if "release_qa" in audit else {}
    return {
        "manifest_version": MANIFEST_VERSION,
        "crime_mapper_version": plugin_version(),
        "qgis_version": NO_QGIS_VERSION if qgis_version is None else qgis_version,
        "release": {
            "months": audit.get("input", {}).get("months", []),
            "forces": audit.get("input", {}).get("forces", []),
            "rows_in": totals.get("rows_in"),
            "published_at_map_point": totals.get("published_at_map_point"),
            "published_without_location": totals.get("published_without_location"),
            "withheld_by_rule": totals.get("withheld_by_rule"),
            "rejected": totals.get("rejected"),
            "reconciles": audit.get("reconciles"),
            "leak_gate_passed": bool((audit.get("leak_gate") or {}).get("passed")),
            # disclosure checks, K and any confirmation of unknown catchments (issue 9)
            "disclosure": audit.get("disclosure"),
            "map_points_used_by_source": (audit.get("map_points") or {}).get("used_by_source"),
        },
        "inputs": {
            "crimes": {
                "description": crimes_description,
                "files": (
                    list(crimes_entries)
                    if crimes_entries is not None
                    else [file_entry(p) for p in map(Path, crimes_files) if p.is_file()]
                ),
            },
            "map_points": points_entry,
            "rules": (rules_entry or file_entry(rules_path)) if rules_path else "default rules",
            "profile": (profile_entry or file_entry(profile_path)) if profile_path else None,
        },
        "settings": {
            "max_distance_m": max_distance_m,
            "rules": rules.to_dict(),
            "salt_fingerprint": salt_fingerprint,
        },
        # (a digest taken of the very same staged file, as pipeline's hashing beside the gate
        # takes it, is not read again)
        "outputs": [
            {**file_entry(tmp, reuse=True), "name": Path(final).name} for final, tmp in staged
        ],
        **qa,
    }


def write_manifest(manifest: dict, path: PathLike) -> None:
    """The manifest as UTF-8 JSON, two-space indented (callers pass a staged path)."""
    Path(path).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
