"""Every commune field reads a typed name, postcode or INSEE code through the one resolver."""

from __future__ import annotations

import html as htmllib
import re

import pytest

from mutualisation.territories.services import resolve
from tests.builders import csrf_token, login, make_listing, make_territory, make_user

SAINT_MARTINS = ("65388", "67425", "83113")


@pytest.fixture
def gazetteer(session):
    """The demo communes, two that share a postcode, and three communes named Saint-Martin."""
    for code in ("62528", "76402", "22046", "59271"):
        make_territory(session, code)
    for code in SAINT_MARTINS:
        make_territory(
            session, code, name="Saint-Martin", search_name="saint martin", department_code=code[:2]
        )
    make_territory(session, "62057", name="Bénifontaine", search_name="benifontaine")
    return session


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Malaunay", "76402"),
        ("malaunay ", "76402"),
        ("Loos-en-Gohelle", "62528"),
        ("LOOS EN GOHELLE", "62528"),
        ("loos en goh", "62528"),
        ("59760", "59271"),
        ("76402", "76402"),
        ("Le Mené", "22046"),
        ("le mene", "22046"),
        ("Saint-Martin (67425)", "67425"),
    ],
)
def test_a_typed_name_postcode_or_code_resolves_to_one_commune(gazetteer, typed, code):
    assert [t.code for t in resolve(gazetteer, typed)] == [code]


def test_a_name_shared_by_several_communes_offers_each_and_a_pick_settles_it(gazetteer):
    assert sorted(t.code for t in resolve(gazetteer, "St Martin")) == sorted(SAINT_MARTINS)
    assert [t.code for t in resolve(gazetteer, "Saint-Martin", picked="83113")] == ["83113"]
    # A pick that is not among the text's matches does not override what was typed.
    assert [t.code for t in resolve(gazetteer, "Malaunay", picked="83113")] == ["76402"]


def test_an_unknown_text_resolves_to_nothing(gazetteer):
    assert resolve(gazetteer, "Trifouillis-les-Oies") == []
    assert resolve(gazetteer, "99999") == []


# Browse "Autour de" -----------------------------------------------------------------------


def _browse(client, **params):
    return client.get("/listings/", query_string=params).get_data(as_text=True)


def _near_value(page: str) -> str:
    found = re.search(r'<input[^>]*id="near"[^>]*>', page)
    assert found, "no near input"
    value = re.search(r'value="([^"]*)"', found.group(0))
    return htmllib.unescape(value.group(1)) if value else ""


@pytest.mark.parametrize("typed", ["Malaunay", "Loos-en-Gohelle", "59760", "76402", "62528"])
def test_browsing_near_a_typed_commune_shows_its_name_and_the_listings_around(client, gazetteer, typed):
    owner = make_user(gazetteer, "technician", "76402")
    make_listing(gazetteer, owner, title="Podium mobile à Malaunay")
    login(client, make_user(gazetteer, "technician", "62528"))
    page = _browse(client, near=typed, radius_km=1000)
    assert "Territoire inconnu" not in page and "Aucune commune" not in page
    assert "Podium mobile à Malaunay" in page
    expected = {"59760": "Grande-Synthe", "76402": "Malaunay", "62528": "Loos-en-Gohelle"}.get(typed, typed)
    assert _near_value(page) == expected


def test_browsing_near_an_ambiguous_name_offers_a_choice_then_keeps_the_pick(client, gazetteer):
    login(client, make_user(gazetteer, "technician", "62528"))
    page = _browse(client, near="Saint-Martin")
    assert "Plusieurs communes correspondent" in page
    for code in SAINT_MARTINS:
        assert 'name="near_code" id="near-choice' in page and f'value="{code}"' in page
    chosen = _browse(client, near="Saint-Martin", near_code="67425")
    assert "Plusieurs communes" not in chosen and _near_value(chosen) == "Saint-Martin"
    assert 'name="near_code" value="67425"' in chosen


def test_browsing_near_an_unknown_commune_says_so_in_french_linked_to_the_field(client, gazetteer):
    login(client, make_user(gazetteer, "technician", "62528"))
    page = _browse(client, near="Trifouillis")
    assert "Aucune commune ne correspond à ce texte" in page
    assert 'href="#near"' in page  # the error summary links to the field


def test_the_api_reads_near_as_a_name_or_a_postcode_and_refuses_an_ambiguous_one(client, gazetteer):
    owner = make_user(gazetteer, "technician", "76402")
    make_listing(gazetteer, owner, title="Broyeur")
    login(client, make_user(gazetteer, "technician", "62528"))
    for typed in ("Malaunay", "76770", "76402"):
        body = client.get("/api/v1/listings", query_string={"near": typed, "radius_km": 10}).get_json()
        assert [i["title"] for i in body["items"]] == ["Broyeur"], typed
    ambiguous = client.get("/api/v1/listings", query_string={"near": "Saint-Martin"})
    assert ambiguous.status_code in (400, 422)
    assert "near" in ambiguous.get_json()["error"]["fields"]
    assert ambiguous.get_json()["error"]["code"] == "validation_error"


# Join and invitations ---------------------------------------------------------------------


def test_a_visitor_joins_with_a_typed_commune_name(client, gazetteer):
    token = csrf_token(client, "/join")
    response = client.post(
        "/join",
        data={
            "territory": "malaunay",
            "name": "Camille",
            "email": "camille@example.org",
            "motivation": "Partager",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    from mutualisation.welcome.models import JoinRequest

    assert gazetteer.query(JoinRequest).one().territory.code == "76402"


def test_joining_with_an_ambiguous_name_offers_the_choice_then_accepts_the_pick(client, gazetteer):
    data = {"territory": "Saint-Martin", "name": "C", "email": "c@example.org", "motivation": "M"}
    page = client.post("/join", data=data | {"csrf_token": csrf_token(client, "/join")})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Plusieurs communes correspondent" in text
    assert 'name="territory_code"' in text
    picked = data | {"territory_code": "83113", "csrf_token": csrf_token(client, "/join")}
    assert client.post("/join", data=picked).status_code == 302


def test_the_join_page_shows_a_picked_commune_by_its_name(client, gazetteer):
    page = client.get("/join?territory=76402").get_data(as_text=True)
    field = re.search(r'<input[^>]*id="territory"[^>]*>', page).group(0)
    assert 'value="Malaunay"' in field


def test_an_invitation_takes_a_postcode_and_shows_the_name_by_default(client, gazetteer):
    login(client, make_user(gazetteer, "technician", "59271"))
    page = client.get("/invitations").get_data(as_text=True)
    assert 'value="Grande-Synthe"' in re.search(r'<input[^>]*id="territory"[^>]*>', page).group(0)
    token = csrf_token(client, "/invitations")
    response = client.post(
        "/invitations",
        data={"email": "new@example.org", "role": "actor", "territory": "59760", "csrf_token": token},
    )
    assert response.status_code == 302


def test_the_api_accepts_the_pick_among_several_communes(client, gazetteer):
    owner = make_user(gazetteer, "technician", "67425")
    make_listing(gazetteer, owner, title="Tentes")
    login(client, make_user(gazetteer, "technician", "62528"))
    query = {"near": "Saint-Martin", "near_code": "67425", "radius_km": 5}
    body = client.get("/api/v1/listings", query_string=query).get_json()
    assert [i["title"] for i in body["items"]] == ["Tentes"]


def test_the_map_page_sends_the_resolved_commune_to_its_points(client, gazetteer):
    login(client, make_user(gazetteer, "technician", "62528"))
    page = htmllib.unescape(client.get("/listings/map?near=malaunay").get_data(as_text=True))
    assert "near=76402" in page and _near_value(page) == "Malaunay"


@pytest.mark.parametrize("typed", ["Malaunay", "76770", "76402", "Malaunay (76402)"])
def test_the_facilitators_user_filter_reads_a_commune_like_every_other_field(client, gazetteer, typed):
    make_user(gazetteer, "official", "76402", name="Élue de Malaunay")
    make_user(gazetteer, "official", "62528", name="Élu de Loos")
    login(client, make_user(gazetteer, "admin", "62528"))
    page = htmllib.unescape(
        client.get("/admin/users", query_string={"territory": typed}).get_data(as_text=True)
    )
    assert "Élue de Malaunay" in page and "Élu de Loos" not in page
