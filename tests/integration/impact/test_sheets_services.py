"""Experience sheets through their services, on SQLite and PostgreSQL, with each role's rights."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mutualisation.audit.models import AuditEvent
from mutualisation.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mutualisation.impact import sheets
from tests.builders import make_user
from tests.sheet_builders import make_evaluated_agreement, make_sheet

LOOS, MALAUNAY = "62528", "76402"


def audit_actions(session, sheet_id):
    return [
        e.action
        for e in session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "sheet", AuditEvent.object_id == str(sheet_id))
            .order_by(AuditEvent.id)  # PostgreSQL returns rows in no set order without it
        )
    ]


@pytest.mark.parametrize("role", ["technician", "official", "actor"])
def test_technicians_officials_and_actors_write_a_draft_of_their_territory(session, role):
    author = make_user(session, role, LOOS)
    sheet = make_sheet(session, author)
    assert sheet.status == "draft" and sheet.version == 1 and sheet.licence == "CC-BY-SA-4.0"
    assert sheet.territory.code == LOOS and len(sheet.revisions) == 1
    assert audit_actions(session, sheet.id) == ["sheet.created"]


def test_the_admin_and_a_visitor_cannot_write_a_sheet(session, people):
    with pytest.raises(PermissionDenied):
        make_sheet(session, people["admin"])
    with pytest.raises(PermissionDenied):
        sheets.create(session, None, {"title": "x"})


def test_a_sheet_needs_a_title_known_themes_and_no_personal_email(session, people):
    with pytest.raises(RuleViolation) as caught:
        sheets.create(
            session,
            people["loos_tech"],
            {"title": " ", "themes": ["astrology"], "contacts": "jean.dupont@gmail.com"},
        )
    assert set(caught.value.fields) == {"title", "themes", "contacts"}


def test_only_an_official_of_the_sheets_territory_publishes_it(session, people):
    sheet = make_sheet(session, people["loos_actor"])
    for name in ("loos_tech", "loos_actor", "mal_official", "admin"):
        with pytest.raises((PermissionDenied, NotFound)):
            sheets.publish(session, people[name], sheet.id)
    published = sheets.publish(session, people["loos_official"], sheet.id)
    assert published.status == "published" and published.published_at is not None
    with pytest.raises(Conflict):
        sheets.publish(session, people["loos_official"], sheet.id)
    assert audit_actions(session, sheet.id) == ["sheet.created", "sheet.published"]


def test_a_draft_is_read_by_its_author_its_territorys_staff_and_the_admin_only(session, people):
    sheet = make_sheet(session, people["loos_actor"])
    for name in ("loos_actor", "loos_tech", "loos_official", "admin"):
        assert sheets.get(session, people[name], sheet.id).id == sheet.id
    for user in (people["mal_tech"], people["mal_official"], people["mal_actor"], None):
        with pytest.raises(NotFound):
            sheets.get(session, user, sheet.id)
    sheets.publish(session, people["loos_official"], sheet.id)
    assert sheets.get(session, None, sheet.id).status == "published"


def test_every_edit_is_a_new_version_with_its_author_and_a_readable_diff(session, people):
    sheet = make_sheet(session, people["loos_tech"], people["loos_official"])
    edited = sheets.update(
        session,
        people["loos_official"],
        sheet.id,
        {"method": "1. Réserver trois mois avant.\n2. Signer la convention.", "comment": "délai"},
        version=1,
    )
    assert edited.version == 2 and edited.status == "published"
    versions = sheets.revisions(session, None, sheet.id)
    assert [(r.version, r.author_role) for r in versions] == [(1, "technician"), (2, "official")]
    assert versions[0].content["method"].startswith("1. Réserver six semaines")
    changes = sheets.diff(session, None, sheet.id, 1, 2)
    assert [c.field for c in changes] == ["method"]
    assert "-1. Réserver six semaines avant." in changes[0].unified
    assert "+1. Réserver trois mois avant." in changes[0].unified
    assert audit_actions(session, sheet.id)[-1] == "sheet.edited"


def test_a_stale_version_is_a_conflict_and_changes_nothing(session, people):
    sheet = make_sheet(session, people["loos_tech"])
    sheets.update(session, people["loos_tech"], sheet.id, {"pitfalls": "Oublier l'assurance"}, version=1)
    with pytest.raises(Conflict):
        sheets.update(session, people["loos_official"], sheet.id, {"pitfalls": "Autre"}, version=1)
    assert sheets.get(session, people["loos_tech"], sheet.id).pitfalls == "Oublier l'assurance"


def test_other_territories_cannot_edit_and_actors_edit_only_their_own(session, people):
    sheet = make_sheet(session, people["loos_tech"], people["loos_official"])
    for name in ("mal_tech", "mal_official", "loos_actor"):
        with pytest.raises(PermissionDenied):
            sheets.update(session, people[name], sheet.id, {"title": "Pris"}, version=1)
    assert sheets.update(session, people["admin"], sheet.id, {"title": "Corrigé"}, version=1).version == 2


def test_peers_react_with_a_reuse_a_comment_and_a_contradiction(session, people):
    sheet = make_sheet(session, people["loos_tech"], people["loos_official"])
    sheets.react(session, people["mal_tech"], sheet.id, "reuse", "Repris à Malaunay en 2026, très bien.")
    sheets.react(session, people["mal_actor"], sheet.id, "comment", "Merci !")
    sheets.react(session, people["mal_official"], sheet.id, "contradiction", "Six semaines ne suffisent pas.")
    assert [r.kind for r in sheets.get(session, None, sheet.id).reactions] == [
        "reuse",
        "comment",
        "contradiction",
    ]
    assert sheets.contradiction_count(session, [sheet.id]) == {sheet.id: 1}
    assert audit_actions(session, sheet.id)[-3:] == ["sheet.reuse", "sheet.comment", "sheet.contradiction"]
    with pytest.raises(PermissionDenied):
        sheets.react(session, None, sheet.id, "comment", "anonyme")
    with pytest.raises(RuleViolation):
        sheets.react(session, people["mal_tech"], sheet.id, "like", "")


def test_nobody_reacts_to_a_draft(session, people):
    sheet = make_sheet(session, people["loos_tech"])
    with pytest.raises(NotFound):
        sheets.react(session, people["mal_tech"], sheet.id, "comment", "Bravo")
    with pytest.raises(PermissionDenied):
        sheets.react(session, people["loos_official"], sheet.id, "comment", "Pas encore")


def test_a_party_drafts_a_sheet_prefilled_from_an_evaluated_agreement(session, people):
    agreement = make_evaluated_agreement(session, people["mal_tech"], people["loos_tech"])
    sheet = sheets.draft_from_agreement(session, people["mal_tech"], agreement.id)
    assert sheet.status == "draft" and sheet.territory.code == MALAUNAY
    assert sheet.agreement_ids == [agreement.id]
    assert "Prévoir un camion" in sheet.success_conditions and sheet.category == "equipment"
    results = sheets.results(session, sheet)
    assert results["agreements_completed"] == 1 and results["money_saved_eur"] == pytest.approx(1200.0)
    assert "sheet.drafted_from_agreement" in audit_actions(session, sheet.id)
    with pytest.raises(NotFound):
        sheets.draft_from_agreement(session, people["mal_actor"], agreement.id)
    with pytest.raises(PermissionDenied):
        sheets.draft_from_agreement(session, people["admin"], agreement.id)


def test_a_sheet_is_drafted_only_from_an_evaluated_agreement(session, people):
    from tests.builders import make_agreement

    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "completed")
    with pytest.raises(RuleViolation):
        sheets.draft_from_agreement(session, people["mal_tech"], agreement.id)


def test_search_ignores_accents_and_french_word_forms(session, people):
    make_sheet(
        session, people["loos_tech"], people["loos_official"], title="Réemploi des matériaux de chantier"
    )
    make_sheet(session, people["mal_tech"], people["mal_official"], title="Cantine bio", themes=["food"])
    draft = make_sheet(session, people["loos_tech"], title="Réemploi brouillon")

    def titles(**filters):
        items, total = sheets.search_published(session, sheets.SheetFilters(**filters))
        assert total == len(items)
        return [s.title for s in items]

    assert titles(q="reemploi") == ["Réemploi des matériaux de chantier"]
    assert titles(q="CHANTIERS réemploi") == ["Réemploi des matériaux de chantier"]
    assert titles(q="cantines") == ["Cantine bio"]
    assert titles(q="cantines chantier") == []
    assert titles(q='"NOT* (') == []  # an operator typed by a user is only text, never an error
    assert sorted(titles(q="de la !")) == sorted(titles())  # no word to look for: it filters nothing
    assert titles(theme="food") == ["Cantine bio"]
    assert titles(territory=MALAUNAY) == ["Cantine bio"]
    assert draft.title not in titles(q="réemploi")


def test_a_text_search_lists_the_most_relevant_sheets_first(session, people):
    # Oldest first: the sheet that names the word most, in the shortest text.
    make_sheet(
        session,
        people["loos_tech"],
        people["loos_official"],
        title="Broyeur partagé",
        context="Un broyeur, prêté avec son broyeur de secours.",
    )
    make_sheet(session, people["mal_tech"], people["mal_official"], title="Cantine bio", themes=["food"])
    make_sheet(
        session,
        people["mal_tech"],
        people["mal_official"],
        title="Fête de quartier",
        context="Podium, tables, bancs, sonorisation, éclairage, barnums, vaisselle, et un broyeur.",
    )
    items, total = sheets.search_published(session, sheets.SheetFilters(q="broyeurs"))
    assert [s.title for s in items] == ["Broyeur partagé", "Fête de quartier"] and total == 2
    newest = [s.title for s in sheets.search_published(session, sheets.SheetFilters())[0]]
    assert newest == ["Fête de quartier", "Cantine bio", "Broyeur partagé"]


def test_the_list_is_paginated_in_the_database_with_its_total_and_theme_filter(session, people):
    for n in range(3):
        make_sheet(
            session,
            people["loos_tech"],
            people["loos_official"],
            title=f"Fiche {n}",
            themes=["circular_economy"],
        )
    make_sheet(session, people["loos_tech"], people["loos_official"], title="Autre", themes=["energy"])
    filters = sheets.SheetFilters(theme="circular_economy")
    first, total = sheets.search_published(session, filters, page=1, per_page=2)
    second, _total = sheets.search_published(session, filters, page=2, per_page=2)
    assert total == 3 and len(first) == 2 and len(second) == 1
    assert {s.title for s in first + second} == {"Fiche 0", "Fiche 1", "Fiche 2"}
    assert sheets.search_published(session, sheets.SheetFilters(theme="circular%"))[1] == 0
