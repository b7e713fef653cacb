"""Which listings of one side some listings could match, for the incremental update.

A pair only passes the distance filter within the smaller of the two radii (a listing open to
remote work has an infinite radius). `within_each` keeps, for each listing asked about, the rows
of a side within that smaller radius, with a margin: a superset of the pairs passing the filter,
which the exact scoring then checks.

It compares every (listing, row) pair at once on the cosine of its central angle, a product of
unit vectors (`geo.unit_vectors`), where a k-d tree's ball query per listing (this module's
earlier `Nearby`) returned thousands of rows as Python lists for each one: at 100k a ball over a
radius of 200 km costs more in those lists than the whole comparison (8 ms against 2 ms for 27
counterparts), and it kept every row within the listing's radius, twice as many as the pairs'
own limit. Pure: numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..geo import EARTH_RADIUS_KM

Array = np.ndarray[Any, Any]


# Pairs per block of `within_each`: its temporaries stay small (a fresh large array costs its page
# faults, which on a virtual machine outweighed the arithmetic).
_BLOCK_PAIRS = 1 << 16


def within_each(q_points: Array, q_cos: Array, points: Array, cos: Array) -> list[Array]:
    """For each query point, the rows (sorted, each once) within the smaller of its radius and
    theirs, and maybe a few more (see the module's doc). Points are unit vectors and radii are
    given as `cos_limit`s (`ListingArrays.reach_cos` keeps a side's: computing them for a whole
    side cost more than comparing a few queries with it); rows without coordinates never pass
    (a NaN cosine)."""
    step = max(1, _BLOCK_PAIRS // max(len(points), 1))
    out: list[Array] = []
    for start in range(0, len(q_points), step):
        block = slice(start, start + step)
        with np.errstate(invalid="ignore"):
            near = q_points[block] @ points.T >= np.maximum(q_cos[block, None], cos[None, :])
        out += [np.flatnonzero(row) for row in near]
    return out


def cos_limit(km: Array) -> Array:
    """Cosine of the central angle of each radius, a little wider (the exact distance decides
    afterwards); -2 (every point passes) for an infinite radius or one past the antipode."""
    theta = (np.asarray(km, dtype=np.float64) * (1 + 1e-6) + 1e-3) / EARTH_RADIUS_KM
    with np.errstate(invalid="ignore"):
        return np.where(theta < np.pi, np.cos(np.minimum(theta, np.pi)), -2.0)
