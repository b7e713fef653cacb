"""The desired pairs and the rows to insert as columns (`diff`): merged and converted exactly."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mutualisation.matching.diff import INSERT_COLUMNS, Counts, Desired, TopEntries, _published, diff
from mutualisation.matching.rows import Fingerprints, ListingRow, SuggestionRow
from mutualisation.matching.topk import TopK


def _top(query_ids, ids, scores):
    ids = np.asarray(ids, dtype=np.int64)
    scores = np.where(ids >= 0, np.asarray(scores, dtype=np.float64), np.nan)
    return TopK(np.asarray(query_ids, dtype=np.int64), ids, scores, scores * 100)


def _listing(i: int, kind: str) -> ListingRow:
    return ListingRow(i, kind, "equipment", None, 1, 1, 48.0, 2.0, None, None, None, False, False, None)


def test_desired_from_tops_merges_both_sides_of_a_pair_as_from_columns():
    # Need 10's top: offers 1 then 2; offer 1's top: needs 10 then 11; offer 2's top: nothing.
    needs_top = _top([10], [[1, 2]], [[0.9, 0.5]])
    offers_top = _top([1, 2], [[10, 11], [-1, -1]], [[0.9, 0.4], [0, 0]])
    got = Desired.from_tops([(needs_top, False), (offers_top, True)])
    expected = Desired.from_columns(
        [1, 2, 1, 1], [10, 10, 10, 11], [0.9, 0.5, 0.9, 0.4], [90, 50, 90, 40], [-1, -1, 0, 1], [0, 1, -1, -1]
    )
    for name in ("key", "offer_id", "need_id", "score", "km", "offer_rank", "need_rank"):
        assert np.array_equal(getattr(got, name), getattr(expected, name)), name
    assert got.offer_id.tolist() == [1, 1, 2] and got.need_id.tolist() == [10, 11, 10]
    assert got.offer_rank.tolist() == [0, 1, -1] and got.need_rank.tolist() == [0, -1, 1]
    assert got.offer_rank.dtype == np.int64


def test_new_pairs_become_python_columns_a_chunk_at_a_time():
    fingerprints = Fingerprints([_listing(1, "offer"), _listing(2, "offer"), _listing(10, "need")])
    desired = Desired.from_columns(
        [1, 2, 3], [10, 10, 10], [0.5, 0.25, 0.75], [1.5, 2.5, 3.5], [0, -1, 0], [1, 0, 2]
    )
    counts = Counts()
    changes = diff([], desired, fingerprints, counts)
    new = changes.new
    assert new is not None and len(new) == 2  # listing 3 is not published: no row
    assert counts.new_pairs.offer_id.tolist() == [1, 2] and counts.new_pairs.score.tolist() == [0.5, 0.25]
    columns = new.part(1, 2).columns(["[]"])
    assert len(columns) == len(INSERT_COLUMNS)
    row = dict(zip(INSERT_COLUMNS, (c[0] for c in columns), strict=True))
    assert row == {
        "offer_id": 2,
        "need_id": 10,
        "score": 0.25,
        "distance_km": 2.5,
        "offer_rank": None,
        "need_rank": 0,
        "breakdown": "[]",
        "status": "active",
        "offer_fingerprint": fingerprints[2],
        "need_fingerprint": fingerprints[10],
    }
    assert all(type(v) in (int, float, str, type(None)) for c in columns for v in c)


def test_published_pairs_are_found_alike_one_by_one_and_as_arrays():
    """`_published` looks a few pairs up one by one and many through arrays: the same answer."""
    fingerprints = Fingerprints([_listing(i, "offer") for i in range(0, 400, 2)])
    rng = np.random.default_rng(3)
    for size in (3, 30, 3000):  # under and over a sixteenth of the published listings
        o, n = rng.integers(0, 400, size), rng.integers(0, 400, size)
        expected = (o % 2 == 0) & (n % 2 == 0)
        assert np.array_equal(_published(o, n, fingerprints), expected)


def test_stored_rows_cleared_then_overridden_by_top_k_lists():
    """`TopEntries.add_pairs`, as an incremental update merges: the stored ranks the `clear`
    callback drops are gone, later lists set their side's rank, score and distance."""
    # (id, offer, need, score, km, offer_rank, need_rank, status, fp, fp, agreement)
    stored = [
        SuggestionRow(1, 1, 10, 0.5, 5.0, 0, 3, "active", "a", "b", None),
        SuggestionRow(2, 2, 10, 0.4, 6.0, None, 4, "active", "a", "b", None),
        SuggestionRow(3, 2, 11, 0.3, 7.0, 1, None, "active", "a", "b", None),
    ]

    def clear(o, n, o_rank, n_rank):
        o_rank[o == 1] = -1  # offer 1 changed: its own list is recomputed

    entries = TopEntries()
    entries.add_pairs(stored, clear)
    entries.add(_top([1], [[11, -1]], [[0.9, 0]]), offer_queries=True)  # offer 1's new list
    got = entries.desired()
    assert got.offer_id.tolist() == [1, 1, 2, 2] and got.need_id.tolist() == [10, 11, 10, 11]
    assert got.offer_rank.tolist() == [-1, 0, -1, 1]
    assert got.need_rank.tolist() == [3, -1, 4, -1]
    assert got.score.tolist() == [0.5, 0.9, 0.4, 0.3] and got.km.tolist() == [5.0, 90.0, 6.0, 7.0]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 4),
            st.integers(10, 13),
            st.floats(0, 1, allow_nan=False),
            st.integers(-1, 9),
            st.integers(-1, 9),
        ),
        max_size=60,
    )
)
def test_entries_of_a_pair_merge_to_the_last_score_and_the_highest_ranks(entries):
    """Whatever the order the sort leaves equal keys in, a pair keeps its last entry's score and
    distance, and the highest rank of each side."""
    expected: dict[tuple[int, int], tuple[float, float, int, int]] = {}
    for o, n, score, o_rank, n_rank in entries:
        _, _, before_o, before_n = expected.get((o, n), (0.0, 0.0, -1, -1))
        expected[(o, n)] = (score, score * 3, max(before_o, o_rank), max(before_n, n_rank))
    columns = list(zip(*entries, strict=True)) or [[] for _ in range(5)]
    o, n, score, o_rank, n_rank = (np.asarray(c) for c in columns)
    got = Desired.from_columns(o, n, score, score * 3, o_rank, n_rank)
    assert [(int(a), int(b)) for a, b in zip(got.offer_id, got.need_id, strict=True)] == sorted(expected)
    merged = zip(got.score, got.km, got.offer_rank, got.need_rank, strict=True)
    assert [(float(s), float(k), int(a), int(b)) for s, k, a, b in merged] == [
        expected[key] for key in sorted(expected)
    ]
