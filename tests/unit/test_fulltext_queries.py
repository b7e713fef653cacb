"""The expressions the databases' full-text engines are asked: a stem stands as a prefix only when it
is not a short beginning shared by unrelated words."""

from __future__ import annotations

from mutualisation.fulltext import fts5_query, tsquery_text


def test_a_long_enough_stem_is_a_prefix_on_both_databases():
    assert fts5_query([["broyeurs"]]) == '("broyeur"* OR "broyeurs"*)'
    assert tsquery_text([["broyeurs"]]) == "('broyeurs':*)"


def test_a_word_cut_down_to_a_short_stem_finds_its_own_forms_only():
    # Snowball's French stem of "camera" is "cam": as a prefix it would find "camion".
    assert fts5_query([["camera"]]) == '("camera"*)'
    assert tsquery_text([["camera"]]) == "('camera')"


def test_a_word_typed_as_short_as_its_stem_stays_a_beginning_of_word():
    assert fts5_query([["cam"]]) == '("cam"*)'
    assert tsquery_text([["cam"]]) == "('cam':*)"


def test_groups_of_corrected_words_are_or_ed_and_groups_and_ed():
    assert tsquery_text([["epareuse", "epareuses"], ["camera"]]) == (
        "('epareuse':* | 'epareuses':*) & ('camera')"
    )
