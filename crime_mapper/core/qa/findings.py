"""A QA finding and the severity scale.

Severity says how likely the release is wrong, not how interesting the month is:
- high: almost certainly a data fault if it is not explained (a category emptied, a missing
  week, a batch sent twice, crimes outside the force): look before publishing;
- medium: unusual enough to check (a significant but moderate departure, a new outcome);
- low: worth knowing, usually real-world (one area busier than usual).
The release may go ahead whatever the findings; they are recorded in the audit and manifest.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SEVERITIES = ("high", "medium", "low")
ROW_SAMPLE = 200  # record ids listed per finding (the count is always complete)


@dataclass
class Finding:
    check: str  # machine name of the check (see checks.CHECKS)
    key: str  # what it is about: a category, an area code, a day range...
    severity: str  # one of SEVERITIES
    title: str  # one line
    explanation: str  # plain words: what was seen, against what, what it may mean
    measures: dict[str, Any] = field(default_factory=dict)
    rows: int = 0  # rows of this month behind the finding
    record_ids: list[int] = field(default_factory=list)  # the first ROW_SAMPLE of them
    areas: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # "file:first-last" line ranges

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        self.record_ids = [int(v) for v in self.record_ids[:ROW_SAMPLE]]

    @property
    def id(self) -> str:
        return f"{self.check}:{self.key}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["id"] = self.id
        return data


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (severity_rank(f.severity), f.check, f.key))
