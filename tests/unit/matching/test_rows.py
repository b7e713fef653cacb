"""Rows to arrays: coding subcategories column-wise gives what coding row by row gave."""

from __future__ import annotations

import datetime as dt
import gc

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mutualisation.matching.closeness import default_codes
from mutualisation.matching.rows import Fingerprints, ListingRow, Subcategories, arrays_from_rows, fingerprint

KNOWN = sorted(default_codes())
# Known codes, codes the taxonomy no longer has (coded after the known ones), and the wildcards.
CODES = st.sampled_from([*KNOWN[:6], "renamed_a", "renamed_b", "renamed_c", "other", "", None])


def row(i: int, sub: str | None) -> ListingRow:
    return ListingRow(
        i, "offer", "equipment", sub, 1, 1, 50.0, 2.0, dt.date(2026, 1, 1), None, None, False, True, None
    )


@given(st.lists(CODES, max_size=40), st.lists(CODES, max_size=10))
def test_column_coding_equals_row_by_row_coding_unknown_codes_included(first, then):
    by_rows, by_column = Subcategories(), Subcategories()
    for batch in (first, then):  # a snapshot codes offers, then needs, with one coder
        rows = [row(i, s) for i, s in enumerate(batch)]
        expected = arrays_from_rows(by_rows.coded(rows))
        got = arrays_from_rows(rows, by_column)
        assert np.array_equal(got.subcategory, expected.subcategory)
    assert by_column.codes == by_rows.codes


def test_an_unknown_code_keeps_its_int_once_given():
    subs = Subcategories()
    fresh = subs("renamed_since")
    assert subs("renamed_since") == fresh == max(default_codes().values()) + 1
    assert subs("renamed_too") == fresh + 1
    assert subs.column(("renamed_too", None, "renamed_since", "other")).tolist() == [fresh + 1, 0, fresh, 0]


def test_fingerprints_hold_rows_the_collector_stops_tracking_and_hash_them_as_before():
    rows = [row(i, KNOWN[i % 3]) for i in range(50)]
    fingerprints = Fingerprints(rows)
    gc.collect()  # a pass untracks the tuples that hold only plain values
    assert not any(gc.is_tracked(t) for t in fingerprints.rows.values())
    assert all(gc.is_tracked(r) for r in rows)  # NamedTuples stay tracked: what the copy avoids
    assert [fingerprints[r.id] for r in rows] == [fingerprint(r) for r in rows]
    assert fingerprints.owner(7) == 1 and fingerprints.owner(999) is None
    fingerprints.set_row(rows[7]._replace(owner_id=5, quantity=3.0))
    assert fingerprints.owner(7) == 5 and fingerprints[7] != fingerprint(rows[7])
