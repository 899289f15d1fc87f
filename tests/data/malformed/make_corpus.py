"""Regenerate the malformed-file corpus from real police.uk rows (run from the repo root).

Each file holds real rows from sample_data plus exactly the defects its name says, so the
tests can check the exact reason, line and reconciliation. Kept as files (not built in the
tests) so an analyst can open them and see what each defect looks like.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[2] / "sample_data/police-uk/2022-10/2022-10-leicestershire-street.csv"


def main() -> None:
    lines = SOURCE.read_bytes().split(b"\r\n")
    header, rows = lines[0], [r for r in lines[1:] if r]
    mapped = [r for r in rows if b",," not in r[:200] and not r.startswith(b",")][:20]
    asb = [r for r in rows if r.startswith(b",")][:3]

    def fields(row: bytes) -> list[bytes]:
        return row.split(b",")

    def join(parts: list[bytes]) -> bytes:
        return b",".join(parts)

    def write(name: str, body: list[bytes], newline: bytes = b"\n", prefix: bytes = b"") -> None:
        (HERE / name).write_bytes(prefix + newline.join([header] + body) + newline)

    good = mapped[:5]
    # one defect row after five good rows: the defect is always on line 7
    f = fields(mapped[5])
    write("2022-10-missing-coordinates-street.csv", good + [join(f[:4] + [b"", b""] + f[6:])])
    write("2022-10-zero-coordinates-street.csv", good + [join(f[:4] + [b"0", b"0"] + f[6:])])
    write(
        "2022-10-outside-uk-street.csv", good + [join(f[:4] + [b"-6.260310", b"53.349805"] + f[6:])]
    )  # Dublin
    write("2022-10-swapped-street.csv", good + [join(f[:4] + [f[5], f[4]] + f[6:])])
    write("2022-10-bad-month-street.csv", good + [join(f[:1] + [b"2022-13"] + f[2:])])
    write("2022-10-month-mismatch-street.csv", good + [join(f[:1] + [b"2022-09"] + f[2:])])
    write(
        "2022-10-unknown-category-street.csv",
        good + [join(f[:9] + [b"Fraud and forgery"] + f[10:])],
    )
    write("2022-10-duplicate-id-street.csv", good + [mapped[0]])
    write("2022-10-field-count-street.csv", good + [join(f[:-2]), join(f + [b"extra"])])
    # A UTF-8 file (a valid "é" on line 2) with one damaged byte on line 7
    g = fields(good[0])
    utf8_good = [join(g[:6] + ["On or near Café Street".encode()] + g[7:])] + good[1:]
    write(
        "2022-10-undecodable-street.csv",
        utf8_good + [join(f[:6] + [b"On or near Caf\xff"] + f[7:])],
    )
    write("2022-10-bad-coordinates-street.csv", good + [join(f[:4] + [b"west", f[5]] + f[6:])])
    write("2022-10-bom-crlf-street.csv", good + asb, newline=b"\r\n", prefix=b"\xef\xbb\xbf")
    # A cp1252 export: "On or near Café Street" written in Windows-1252
    cafe = join(f[:6] + ["On or near Café Street".encode("cp1252")] + f[7:])
    write("2022-10-cp1252-street.csv", good + [cafe])
    (HERE / "not-a-crime-extract.csv").write_text(
        "Name,Address,Phone\nA shop,1 High Street,0116 000 0000\n", encoding="utf-8"
    )
    (HERE / "binary-file.csv").write_bytes(bytes(range(256)) * 4)


if __name__ == "__main__":
    main()
