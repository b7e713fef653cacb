"""Pure rules of the experience sheets, the charts and the search query: no database."""

from __future__ import annotations

import datetime as dt

import pytest

from mutualisation.fulltext import fts5_query, is_search_table, tsquery_text
from mutualisation.impact import charts, sheet_rules
from mutualisation.search_words import query_words

CODES = ("mobility", "food")


def test_a_sheet_is_cleaned_and_its_errors_are_named_per_field():
    content, errors = sheet_rules.clean_sheet(
        {"title": "  Vélos  ", "themes": ["food", "food"], "started_on": "2026-02-01", "population": 7000},
        CODES,
    )
    assert errors == {}
    assert content["title"] == "Vélos" and content["themes"] == ["food"]
    assert content["started_on"] == dt.date(2026, 2, 1) and content["population"] == 7000
    _content, errors = sheet_rules.clean_sheet(
        {"title": "", "themes": ["x"], "started_on": "demain", "population": -3, "method": 5}, CODES
    )
    assert set(errors) == {"title", "themes", "started_on", "population", "method"}


def test_the_end_cannot_come_before_the_start_and_contacts_are_roles_not_emails():
    _c, errors = sheet_rules.clean_sheet(
        {"title": "t", "started_on": "2026-05-01", "ended_on": "2026-04-01", "contacts": "écrire à a.b@c.fr"},
        CODES,
    )
    assert set(errors) == {"ended_on", "contacts"}
    _c, errors = sheet_rules.clean_sheet({"title": "t", "contacts": "Service des sports, mairie"}, CODES)
    assert errors == {}


def test_a_partial_edit_cleans_only_the_fields_it_carries():
    content, errors = sheet_rules.clean_sheet({"pitfalls": " Trop tard "}, CODES, partial=True)
    assert content == {"pitfalls": "Trop tard"} and errors == {}


def test_the_diff_shows_removed_and_added_lines_of_each_changed_field_only():
    old = {"title": "A", "method": "1. Réserver\n2. Signer", "themes": ["food"]}
    new = {"title": "A", "method": "1. Réserver tôt\n2. Signer", "themes": ["food", "mobility"]}
    diffs = sheet_rules.diff_contents(old, new)
    assert [d.field for d in diffs] == ["themes", "method"]
    method = diffs[1]
    assert ("-", "1. Réserver") in method.lines and ("+", "1. Réserver tôt") in method.lines
    assert (" ", "2. Signer") in method.lines and "?" not in method.unified


def test_a_draft_is_prefilled_with_the_agreement_and_its_lessons():
    content = sheet_rules.prefill_from_agreement(
        {
            "title": "Podium",
            "provider": "Loos",
            "beneficiary": "Malaunay",
            "lines": ["Podium 6 m²"],
            "category": "equipment",
        },
        [{"lessons_learned": "Prévoir deux agents"}, {"lessons_learned": None}],
    )
    assert content["context"] == "Loos → Malaunay" and "- Podium 6 m²" in content["what_shared"]
    assert content["success_conditions"] == "Prévoir deux agents" and content["category"] == "equipment"


def test_reactions_need_a_known_kind_and_a_text():
    assert sheet_rules.clean_reaction("reuse", " Repris ")[0] == "Repris"
    assert set(sheet_rules.clean_reaction("like", "")[1]) == {"kind", "body"}


def test_the_themes_file_needs_french_and_english_labels():
    themes = sheet_rules.load_themes({"themes": {"food": {"fr": "Alimentation", "en": "Food"}}})
    assert themes[0].label("en") == "Food" and themes[0].label("fr") == "Alimentation"
    with pytest.raises(sheet_rules.ThemesError):
        sheet_rules.load_themes({"themes": {"food": {"fr": "Alimentation"}}})


def test_the_search_query_is_stemmed_quoted_and_prefixed():
    def groups(query):
        return [[w] for w in query_words(query)]

    assert (
        fts5_query(groups("Cantines scolaires"))
        == '("cantin"* OR "cantines"*) AND ("scolair"* OR "scolaires"*)'
    )
    assert fts5_query(groups('NOT "x')) == '("not"*) AND ("x"*)'
    assert fts5_query(groups("!!!")) == ""
    assert (
        tsquery_text([["epareuse", "eparpille"], ["broyeurs"]])
        == "('epareuse':* | 'eparpille':*) & ('broyeurs':*)"
    )
    assert is_search_table("fts_sheets_data") and not is_search_table("sheets")


def test_bars_are_scaled_to_the_largest_value_and_negative_values_draw_nothing():
    chart = charts.bar_chart(
        [{"month": "2026-01", "v": 10}, {"month": "2026-02", "v": 5}, {"month": "2026-03", "v": -4}], "v"
    )
    heights = [b.height for b in chart.bars]
    assert heights[0] == pytest.approx(chart.baseline - charts.MARGIN_TOP)
    assert heights[1] == pytest.approx(heights[0] / 2, abs=0.1) and heights[2] == 0
    assert charts.bar_chart([], "v").bars == ()


@pytest.mark.parametrize("population", [-1, sheet_rules.MAX_POPULATION + 1, 10**12])
def test_an_implausible_population_is_refused_with_a_field_message(population):
    _out, errors = sheet_rules.clean_sheet({"title": "T", "population": population}, [], partial=True)
    assert errors["population"] == ["Enter a whole number of inhabitants."]


def test_the_largest_plausible_population_is_kept():
    out, errors = sheet_rules.clean_sheet({"population": sheet_rules.MAX_POPULATION}, [], partial=True)
    assert errors == {} and out["population"] == sheet_rules.MAX_POPULATION
