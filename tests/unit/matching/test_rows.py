"""Rows to arrays: coding subcategories column-wise gives what coding row by row gave."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mutualisation.matching.closeness import default_codes
from mutualisation.matching.rows import ListingRow, Subcategories, arrays_from_rows

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
