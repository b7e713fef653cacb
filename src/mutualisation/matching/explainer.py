"""Breakdowns of the rows being written, computed in bulk (`breakdown.compact_json`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .arrays import Array, ListingArrays
from .breakdown import compact_json
from .config import MatchingConfig
from .diff import Changes, NewPairs
from .scoring import cooperation_keys


class Explainer:
    """Finds the pairs' listings in the arrays added (a full recompute adds every category's)."""

    def __init__(self, cfg: MatchingConfig, coop: list[tuple[int, int]]) -> None:
        self.cfg = cfg
        self.keys = cooperation_keys(coop)
        self.parts: list[ListingArrays] = []
        self._joined: tuple[ListingArrays, Array, Array] | None = None

    def add(self, arrays: ListingArrays) -> None:
        if len(arrays):
            self.parts.append(arrays)
            self._joined = None

    def _lookup(self) -> tuple[ListingArrays, Array, Array]:
        """(every listing added, the order of their ids, the sorted ids), built once for all calls."""
        if self._joined is None:
            arrays = ListingArrays.concat(self.parts) if len(self.parts) > 1 else self.parts[0]
            order = np.argsort(arrays.id, kind="stable")
            self._joined = (arrays, order, arrays.id[order])
        return self._joined

    def many(self, o: Array, n: Array, km: Array) -> list[str | None]:
        """Compact JSON breakdown of each pair (o[j], n[j]) at km[j]; None when a listing is unknown here."""
        if not o.size or not self.parts:
            return [None] * int(o.size)
        arrays, order, sorted_ids = self._lookup()
        po = np.minimum(np.searchsorted(sorted_ids, o), len(sorted_ids) - 1)
        pn = np.minimum(np.searchsorted(sorted_ids, n), len(sorted_ids) - 1)
        known = (sorted_ids[po] == o) & (sorted_ids[pn] == n)
        if known.all():  # a full recompute: every listing is here
            return compact_json(arrays, order[po], arrays, order[pn], km, self.cfg, self.keys)  # type: ignore[return-value]
        out: list[str | None] = [None] * int(o.size)
        idx = np.flatnonzero(known)
        texts = compact_json(arrays, order[po[idx]], arrays, order[pn[idx]], km[idx], self.cfg, self.keys)
        for i, text in zip(idx.tolist(), texts, strict=True):
            out[i] = text
        return out


class SidedExplainer(Explainer):
    """`Explainer` over one category's offers and needs, found through their id → position maps."""

    def __init__(
        self,
        cfg: MatchingConfig,
        coop: list[tuple[int, int]],
        offers: tuple[ListingArrays, dict[int, int]],
        needs: tuple[ListingArrays, dict[int, int]],
    ) -> None:
        super().__init__(cfg, coop)
        self.offers, self.needs = offers, needs

    def many(self, o: Array, n: Array, km: Array) -> list[str | None]:
        out: list[str | None] = [None] * int(o.size)
        o_pos, n_pos = self.offers[1], self.needs[1]
        pairs = zip(o.tolist(), n.tolist(), km.tolist(), strict=True)
        known = [(j, o_pos[a], n_pos[b], d) for j, (a, b, d) in enumerate(pairs) if a in o_pos and b in n_pos]
        if not known:
            return out
        js, oi, ni, dist = (list(c) for c in zip(*known, strict=True))
        texts = compact_json(
            self.offers[0],
            np.asarray(oi, dtype=np.int64),
            self.needs[0],
            np.asarray(ni, dtype=np.int64),
            np.asarray(dist, dtype=np.float64),
            self.cfg,
            self.keys,
        )
        for j, text in zip(js, texts, strict=True):
            out[j] = text
        return out


def explain_changes(changes: Changes, explainer: Explainer) -> None:
    """Fill the breakdown of inserted rows and of updated rows whose score or distance moved."""
    if changes.explain:
        o, n, km = (
            np.asarray(c) for c in zip(*((e.offer_id, e.need_id, e.km) for e in changes.explain), strict=True)
        )
        texts = explainer.many(o.astype(np.int64), n.astype(np.int64), km.astype(np.float64))
        for item, text in zip(changes.explain, texts, strict=True):
            item.row.breakdown = text
    if changes.new is not None:
        changes.inserts = ExplainedRows(changes.new, explainer)
        changes.new = None


class ExplainedRows:
    """The rows to insert, their breakdowns computed a chunk at a time as the writer reads them.

    A full recompute inserts over a million rows: their breakdown strings and Python values, all
    in memory at once, would take about a gigabyte. Read once, in (offer_id, need_id) order.
    """

    CHUNK = 50_000

    def __init__(self, new: NewPairs, explainer: Explainer) -> None:
        self.new, self.explainer = new, explainer

    def __len__(self) -> int:
        return len(self.new)

    def chunks(self) -> Iterator[tuple[list[Any], ...]]:
        """Columns in `diff.INSERT_COLUMNS` order, `CHUNK` rows at a time."""
        for start in range(0, len(self), self.CHUNK):
            part = self.new.part(start, start + self.CHUNK)
            breakdowns = self.explainer.many(part.offer_id, part.need_id, part.km)
            yield part.columns(["[]" if b is None else b for b in breakdowns])
