"""Which listings of one side a listing could match: a ball query, for the incremental update.

A pair only passes the distance filter within the smaller of the two radii (a listing open to
remote work has an infinite radius), so the counterparts a listing can match lie within its own
radius, or, for a remote listing, within the largest finite radius of the other side plus those
with an infinite one. `Nearby` answers that superset from a k-d tree over unit vectors (chord order
is great-circle order, `geo`); the exact scoring then keeps the valid pairs.

The tree is built once per snapshot side and stays usable while the side is patched: rows that
moved or were appended since are always returned (`extra`), dropped rows are unmapped, and the
tree is rebuilt only once many rows moved. Pure: numpy and scipy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from ..geo import EARTH_RADIUS_KM, km_to_chord, unit_vectors

Array = np.ndarray[Any, Any]

# Beyond this many moved or appended rows, scanning them costs more than a rebuild.
REBUILD_AFTER = 512


def _chord_with_margin(km: float) -> float:
    # A little wider than the exact chord: the exact distance decides afterwards.
    return float(km_to_chord(km * (1 + 1e-6) + 1e-3))


class Nearby:
    """Row positions of one side's listings near a point, kept in step with the side's rows."""

    def __init__(self, lat: Array, lon: Array) -> None:
        located = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))  # the others never match
        self._tree = cKDTree(unit_vectors(lat[located], lon[located])) if located.size else None
        self._rows = located.astype(np.int64)  # tree point → current row (-1: dropped)
        self._extra: set[int] = set()

    @property
    def stale(self) -> bool:
        return len(self._extra) > REBUILD_AFTER

    def moved(self, row: int) -> None:
        """Row `row` got new coordinates, or was appended."""
        self._extra.add(row)

    def dropped(self, row: int) -> None:
        """Row `row` was removed: the rows after it move up by one."""
        self._rows = np.where(self._rows == row, -1, self._rows - (self._rows > row))
        self._extra = {r - (r > row) for r in self._extra if r != row}

    def within(self, lat: float, lon: float, km: float) -> Array:
        """Positions of every row within `km` of (lat, lon), and maybe a few more (unordered, and
        possibly repeated: the caller scores each position, and scoring one twice changes nothing)."""
        extra = np.fromiter(self._extra, dtype=np.int64, count=len(self._extra))
        if self._tree is None:
            return extra
        if not np.isfinite(km):
            found = self._rows
        else:
            point = unit_vectors([lat], [lon])[0]
            hits = self._tree.query_ball_point(point, _chord_with_margin(km), return_sorted=False)
            found = self._rows[np.asarray(hits, dtype=np.int64)]
        return np.concatenate([found[found >= 0], extra])


def reachable(nearby: Nearby, radius: Array, lat: float, lon: float, own_radius: float) -> Array:
    """Rows of a side (whose radii are `radius`) that a listing at (lat, lon) with radius
    `own_radius` could match: a superset of the pairs passing the distance filter."""
    if np.isfinite(own_radius):
        return nearby.within(lat, lon, own_radius)
    finite = np.isfinite(radius)
    widest = float(radius[finite].max()) if finite.any() else 0.0
    return np.concatenate([nearby.within(lat, lon, widest), np.flatnonzero(~finite)])


# Pairs per block of `within_each`: its temporaries stay small (a fresh large array costs its page
# faults, which on a virtual machine outweighed the arithmetic).
_BLOCK_PAIRS = 1 << 16


def within_each(q_points: Array, q_radius: Array, points: Array, radius: Array) -> list[Array]:
    """For each query point, the rows (sorted, each once) within the smaller of its radius and
    theirs, and maybe a few more: a superset of the pairs passing the distance filter. Points are
    unit vectors (`geo.unit_vectors`).

    For the few counterparts an update must search again: their radii span a good part of the
    country, where a ball query returns thousands of rows each as a Python list (8 ms for 27 of
    them). Here every (query, row) pair is compared, on the cosine of its central angle (a
    product of unit vectors), against the pair's own limit, which also keeps fewer pairs than the
    query's radius alone. Rows without coordinates never pass (a NaN cosine)."""
    q_cos, cos = _cos_limit(q_radius), _cos_limit(radius)
    step = max(1, _BLOCK_PAIRS // max(len(points), 1))
    out: list[Array] = []
    for start in range(0, len(q_points), step):
        block = slice(start, start + step)
        with np.errstate(invalid="ignore"):
            near = q_points[block] @ points.T >= np.maximum(q_cos[block, None], cos[None, :])
        out += [np.flatnonzero(row) for row in near]
    return out


def _cos_limit(km: Array) -> Array:
    """Cosine of the central angle of each radius, with `_chord_with_margin`'s margin; -2 (every
    point passes) for an infinite radius or one past the antipode."""
    theta = (np.asarray(km, dtype=np.float64) * (1 + 1e-6) + 1e-3) / EARTH_RADIUS_KM
    with np.errstate(invalid="ignore"):
        return np.where(theta < np.pi, np.cos(np.minimum(theta, np.pi)), -2.0)
