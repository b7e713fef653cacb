"""A compiled branch-and-bound top-k search, for `bench_matching_compiled.py` only (not the engine's).

The engine (`mutualisation.matching.candidates`) runs its k-d tree searches in scipy and scores the
neighbours in numpy, in doubling rounds. This module asks what compiled code would gain: numba
functions that walk k-d trees per query, score every target they reach and prune every node whose
best possible score cannot reach the query's current k-th.

Its floats are not the engine's. numpy computes `exp` and `arctan2` with its own SIMD code where
the CPU has AVX-512, libm elsewhere; numba calls libm. Its distance is the chord's arcsine, not the
engine's arctangent form. So this search returns, per query, every target whose approximate score
lies within `slack` of its approximate k-th (`candidates`), and the bench scores those exactly with
the engine's own numpy functions before ordering them. Exactness follows when `slack` exceeds twice
the largest difference between the two scores (about 1e-12 here).

Targets are split into trees by (subcategory, remote flag), as the engine splits them: a query
searches the tree of its subcategory (factor 1), then those of close subcategories and of the
wildcard, so each tree's bound carries the right subcategory factor. Nodes keep the largest radius
of their targets and the set of their window and quantity classes (`matching.search.target_classes`)
so that the bound uses only the classes present.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

LEAF_SIZE = 16
EARTH_RADIUS_KM = 6371.0087714150598  # geopy's, as `mutualisation.geo`
CLASSES = 12  # window and quantity classes of `matching.search.target_classes`
_BUFFER = 1 << 16  # candidates kept per query before compacting


@njit(cache=True, nogil=True)
def _bounds(points, radius, classes, order, s, e, lo, hi, maxrad, clsmask, node):
    """The node's bounding box, largest radius and set of classes."""
    for d in range(3):
        lo[node, d] = np.inf
        hi[node, d] = -np.inf
    largest, mask = 0.0, 0
    for j in range(s, e):
        p = order[j]
        for d in range(3):
            lo[node, d] = min(lo[node, d], points[p, d])
            hi[node, d] = max(hi[node, d], points[p, d])
        largest = max(largest, radius[p])
        mask |= 1 << classes[p]
    maxrad[node], clsmask[node] = largest, mask


@njit(cache=True, nogil=True)
def build_tree(points, radius, classes):
    """A k-d tree over `points` (n, 3), split at the median of the widest dimension.

    Returns (order, lo, hi, start, end, left, right, maxrad, clsmask): `order[start:end]` are a
    node's points; `left` is -1 for a leaf."""
    n = points.shape[0]
    order = np.arange(n)
    size = 4 * (n // LEAF_SIZE + 1) + 4
    lo, hi = np.empty((size, 3)), np.empty((size, 3))
    start, end = np.zeros(size, np.int64), np.zeros(size, np.int64)
    left, right = np.full(size, -1, np.int64), np.full(size, -1, np.int64)
    maxrad, clsmask = np.zeros(size), np.zeros(size, np.int64)
    stack = np.empty(256, np.int64)
    stack[0], top, count = 0, 1, 1
    end[0] = n
    while top:
        top -= 1
        node = stack[top]
        s, e = start[node], end[node]
        _bounds(points, radius, classes, order, s, e, lo, hi, maxrad, clsmask, node)
        if e - s <= LEAF_SIZE:
            continue
        dim = np.argmax(hi[node] - lo[node])
        segment = order[s:e]
        order[s:e] = segment[np.argsort(points[segment, dim], kind="mergesort")]
        mid = s + (e - s) // 2
        start[count], end[count], start[count + 1], end[count + 1] = s, mid, mid, e
        stack[top], stack[top + 1] = count, count + 1
        top += 2
        left[node], right[node] = count, count + 1
        count += 2
    return (
        order,
        lo[:count],
        hi[:count],
        start[:count],
        end[:count],
        left[:count],
        right[:count],
        maxrad[:count],
        clsmask[:count],
    )


@njit(cache=True, nogil=True, inline="always")
def _min_chord2(lo, hi, node, x, y, z):
    """Squared chord from (x, y, z) to the node's box: no target of the node is closer."""
    total = 0.0
    for d, v in ((0, x), (1, y), (2, z)):
        if v < lo[node, d]:
            total += (lo[node, d] - v) ** 2
        elif v > hi[node, d]:
            total += (v - hi[node, d]) ** 2
    return total


@njit(cache=True, nogil=True, inline="always")
def _chord2_limit(threshold, base, w_dist, decay):
    """Squared chord beyond which `base + w_dist * exp(-km / decay)` stays below `threshold`."""
    gap = (threshold - base) / w_dist
    if gap <= 0.0:
        return np.inf
    if gap >= 1.0:
        return -1.0
    theta = (-decay * math.log(gap) * (1 + 1e-9) + 1e-6) / EARTH_RADIUS_KM
    if theta >= math.pi:
        return np.inf
    chord = 2.0 * math.sin(theta / 2.0) * (1 + 1e-9) + 1e-12
    return chord * chord


@njit(cache=True, nogil=True, inline="always")
def _cooperated(keys, a, b):
    if keys.size == 0:
        return False
    key = (min(a, b) << 32) | max(a, b)
    pos = np.searchsorted(keys, key)
    return pos < keys.size and keys[pos] == key


@njit(cache=True, nogil=True, inline="always")
def _push_score(heap, filled, k, score):
    """Keep the k largest scores in a min-heap; returns how many it holds."""
    if filled < k:
        i = filled
        while i > 0 and heap[(i - 1) // 2] > score:
            heap[i] = heap[(i - 1) // 2]
            i = (i - 1) // 2
        heap[i] = score
        return filled + 1
    if score <= heap[0]:
        return filled
    i = 0
    while 2 * i + 1 < k:
        c = 2 * i + 1
        if c + 1 < k and heap[c + 1] < heap[c]:
            c += 1
        if heap[c] >= score:
            break
        heap[i] = heap[c]
        i = c
    heap[i] = score
    return filled


# One long function on purpose (C901): numba reference-counts every array passed to a function it
# does not inline, and splitting the walk or the pair's score into calls tripled its time here.
@njit(cache=True, nogil=True)
def search(  # noqa: C901
    query_is_need, q_vec, q_sub, q_remote, q_cap2, q_bound, qc, t_vec, tc, forest, groups, w,
    keys, decay, remote_decay, min_score, k, slack,
):  # fmt: skip
    """Per query, the targets whose approximate score is within `slack` of its approximate k-th.

    forest: (positions, lo, hi, start, end, left, right, cap2, clsmask) of every tree, flat;
    groups: (root, remote, sub_start, sub_group, sub_factor): for a query of subcategory s, the trees
    `sub_group[sub_start[s]:sub_start[s + 1]]` with their subcategory factors, best first;
    q_bound: per query and class, the bound on the window, quantity and cooperation parts.
    Returns (offsets, targets): the candidates of query q are targets[offsets[q]:offsets[q + 1]]."""
    tpos, lo, hi, st, en, left, right, cap2, clsmask = forest
    root, g_remote, sub_start, sub_group, sub_factor = groups
    q_lo, q_hi, q_bounded, q_qty, q_inex, q_owner, q_terr, q_rad, q_coop = qc
    t_lo, t_hi, t_bounded, t_qty, t_inex, t_owner, t_terr, t_rad, _ = tc
    w_sub, w_dist, w_win, w_qty, w_coop, f_unspec, f_partial = w
    nq = q_vec.shape[0]
    offsets = np.zeros(nq + 1, np.int64)
    found = np.empty(nq * (k + 4) + 16, np.int64)
    n_found = 0
    heap, stack = np.empty(k), np.empty(256, np.int64)
    kept_t, kept_s = np.empty(_BUFFER, np.int64), np.empty(_BUFFER)
    for q in range(nq):
        x, y, z = q_vec[q, 0], q_vec[q, 1], q_vec[q, 2]
        filled, n_kept, threshold = 0, 0, min_score - slack
        for gi in range(sub_start[q_sub[q]], sub_start[q_sub[q] + 1]):
            g, subf = sub_group[gi], sub_factor[gi]
            remote_pair = q_remote[q] and g_remote[g]
            g_decay = remote_decay if remote_pair else decay
            best_class = -1.0
            for c in range(CLASSES):
                if (clsmask[root[g]] >> c) & 1:
                    best_class = max(best_class, q_bound[q, c])
            base = w_sub * subf + best_class
            limit, limit_at = np.inf, np.nan
            stack[0], top = root[g], 1
            while top:
                top -= 1
                node = stack[top]
                c2 = _min_chord2(lo, hi, node, x, y, z)
                if not remote_pair and (c2 > cap2[node] or c2 > q_cap2[q]):
                    continue
                if threshold != limit_at:
                    limit, limit_at = _chord2_limit(threshold, base, w_dist, g_decay), threshold
                if c2 > limit:
                    continue
                if left[node] >= 0:
                    a, b = left[node], right[node]
                    near_a = _min_chord2(lo, hi, a, x, y, z) < _min_chord2(lo, hi, b, x, y, z)
                    stack[top], stack[top + 1] = (b, a) if near_a else (a, b)
                    top += 2
                    continue
                for j in range(st[node], en[node]):
                    t = tpos[j]
                    dx, dy, dz = t_vec[t, 0] - x, t_vec[t, 1] - y, t_vec[t, 2] - z
                    chord2 = dx * dx + dy * dy + dz * dz
                    if chord2 > limit:
                        continue
                    # The pair's hard filters and score, inline: numba reference-counts every array
                    # passed to a function it does not inline, which tripled this loop's time.
                    if q_owner[q] == t_owner[t] or max(q_lo[q], t_lo[t]) > min(q_hi[q], t_hi[t]):
                        continue
                    if query_is_need:
                        o_qty, n_qty, o_inex = t_qty[t], q_qty[q], t_inex[t]
                        o_lo, o_hi, n_lo, n_hi, n_bounded = t_lo[t], t_hi[t], q_lo[q], q_hi[q], q_bounded[q]
                    else:
                        o_qty, n_qty, o_inex = q_qty[q], t_qty[t], q_inex[q]
                        o_lo, o_hi, n_lo, n_hi, n_bounded = q_lo[q], q_hi[q], t_lo[t], t_hi[t], t_bounded[t]
                    unspecified = math.isnan(o_qty) or math.isnan(n_qty)
                    if not (o_inex or unspecified or o_qty >= n_qty):
                        continue
                    km = 2.0 * EARTH_RADIUS_KM * math.asin(min(math.sqrt(chord2) / 2.0, 1.0))
                    if km > min(q_rad[q], t_rad[t]) * (1 + 1e-9) + 1e-6:
                        continue
                    if o_lo <= n_lo and o_hi >= n_hi:
                        window = 1.0
                    elif n_bounded:
                        window = (min(o_hi, n_hi) - max(o_lo, n_lo) + 1.0) / (n_hi - n_lo + 1.0)
                    else:
                        window = f_partial
                    if o_inex:
                        quantity = 1.0
                    elif unspecified:
                        quantity = f_unspec
                    else:
                        quantity = n_qty / o_qty if o_qty > 0 else 1.0
                    score = (
                        w_sub * subf + w_dist * math.exp(-km / g_decay) + w_win * window + w_qty * quantity
                    )
                    if q_coop[q] and _cooperated(keys, q_terr[q], t_terr[t]):
                        score += w_coop
                    if score < threshold:
                        continue
                    if n_kept == _BUFFER:  # the threshold only rises: drop what fell below it
                        n_kept = _compact(kept_t, kept_s, n_kept, threshold)
                    kept_t[n_kept], kept_s[n_kept] = t, score
                    n_kept += 1
                    filled = _push_score(heap, filled, k, score)
                    if filled == k:
                        threshold = max(threshold, heap[0] - slack)
        n_kept = _compact(kept_t, kept_s, n_kept, threshold)
        if n_found + n_kept > found.size:
            found = np.concatenate((found, np.empty(found.size + n_kept, np.int64)))
        found[n_found : n_found + n_kept] = kept_t[:n_kept]
        n_found += n_kept
        offsets[q + 1] = n_found
    return offsets, found[:n_found]


@njit(cache=True, nogil=True)
def _compact(kept_t, kept_s, n_kept, threshold):
    m = 0
    for i in range(n_kept):
        if kept_s[i] >= threshold:
            kept_t[m], kept_s[m] = kept_t[i], kept_s[i]
            m += 1
    return m


@njit(cache=True, nogil=True)
def top_of_rows(offsets, keep, score, dist, tid, k, out_s, out_d, out_t, out_rows):
    """Each query's k best candidates by (score desc, km asc, id asc), into row `out_rows[q]`.

    The floats are the engine's (numpy computed them); this only compares them, so the order is
    the engine's. An insertion sort: a query has about k candidates."""
    order = np.empty(offsets[-1] - offsets[0] + 1, np.int64)
    for q in range(offsets.size - 1):
        n = 0
        for j in range(offsets[q], offsets[q + 1]):
            if not keep[j]:
                continue
            i = n
            while i > 0:
                p = order[i - 1]
                before = score[j] > score[p] or (
                    score[j] == score[p] and (dist[j] < dist[p] or (dist[j] == dist[p] and tid[j] < tid[p]))
                )
                if not before:
                    break
                order[i] = p
                i -= 1
            order[i] = j
            n += 1
        row = out_rows[q]
        for r in range(min(n, k)):
            j = order[r]
            out_s[row, r], out_d[row, r], out_t[row, r] = score[j], dist[j], tid[j]
