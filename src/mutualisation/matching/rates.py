"""Acceptance and dismissal rates of suggestions, per month and per key (pure).

The facilitator tunes the weights from these figures (`/admin/matching`): a category or a
territory whose suggestions are mostly dismissed scores its pairs too high. A suggestion counts
in the month it was made; its rate is the share of that month's suggestions later accepted
(or dismissed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateRow:
    month: str  # "YYYY-MM"
    key: str  # a category code or a territory name
    total: int
    accepted: int
    dismissed: int

    @property
    def accepted_rate(self) -> float:
        return self.accepted / self.total if self.total else 0.0

    @property
    def dismissed_rate(self) -> float:
        return self.dismissed / self.total if self.total else 0.0


def rate_rows(counts: Iterable[tuple[str, str, str, int]]) -> list[RateRow]:
    """(month, key, status, count) → one row per (month, key), latest month first, then by key."""
    cells: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for month, key, status, n in counts:
        cells[(month, key)][status] += int(n)
    rows = [
        RateRow(month, key, sum(c.values()), c.get("accepted", 0), c.get("dismissed", 0))
        for (month, key), c in cells.items()
    ]
    by_key = sorted(rows, key=lambda r: r.key)
    return sorted(by_key, key=lambda r: r.month, reverse=True)  # stable: keys stay sorted per month


def top_reasons(counts: dict[str, int], limit: int = 5) -> list[tuple[str, int]]:
    """The most frequent dismissal reasons, most frequent first; reasons never given are left out."""
    given = [(reason, n) for reason, n in counts.items() if n]
    return sorted(given, key=lambda item: (-item[1], item[0]))[:limit]
