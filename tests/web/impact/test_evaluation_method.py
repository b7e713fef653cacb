"""Evaluations that mean something: the CO2e method chosen by the evaluator, shown with its source,
and the money saved added up on the agreement."""

from __future__ import annotations

import pytest

from tests.builders import bearer, csrf_token, login, make_agreement


def test_the_api_evaluation_records_shared_use_and_its_share(client, session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "completed")
    url = f"/api/v1/agreements/{agreement.id}/transitions"
    payload = {"action": "evaluate", "version": 1, "satisfaction": 5, "kg_diverted": 100}
    wrong = client.post(
        url, json={**payload, "co2e_method": "shared_use"}, headers=bearer(session, people["mal_tech"])
    )
    assert wrong.status_code == 422 and "lifetime_share" in wrong.json["error"]["fields"]
    answer = client.post(
        url,
        json={**payload, "co2e_method": "shared_use", "lifetime_share": 0.1},
        headers=bearer(session, people["mal_tech"]),
    )
    assert answer.status_code == 200
    evaluation = client.get(
        f"/api/v1/agreements/{agreement.id}", headers=bearer(session, people["mal_tech"])
    ).json["evaluations"][0]
    assert evaluation["co2e_method"] == "shared_use" and evaluation["lifetime_share"] == 0.1
    assert evaluation["co2e_avoided_kg"] == pytest.approx(100 * 4.0 * 0.1)
    assert "ADEME" in evaluation["method_fr"] and "usage partagé" in evaluation["method_fr"]


def test_the_evaluation_form_says_what_mass_to_enter_and_offers_both_methods(client, session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "completed")
    login(client, people["mal_tech"])
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Masse de l'objet prêté ou donné" in page
    assert "Achat évité" in page and "Usage partagé" in page
    token = csrf_token(client, f"/agreements/{agreement.id}")
    sent = client.post(
        f"/agreements/{agreement.id}/actions/evaluate",
        data={
            "csrf_token": token,
            "evaluate-csrf_token": token,
            "evaluate-version": "1",
            "evaluate-satisfaction": "4",
            "evaluate-money_saved_eur": "300",
            "evaluate-kg_diverted": "50",
            "evaluate-co2e_method": "shared_use",
            "evaluate-lifetime_share_percent": "20",
            "evaluate-vehicle": "none",
        },
    )
    assert sent.status_code in (200, 302), sent.get_data(as_text=True)[:500]
    page = (
        client.get(f"/agreements/{agreement.id}")
        .get_data(as_text=True)
        .replace("\u202f", " ")
        .replace("\xa0", " ")
    )
    assert "usage partagé" in page and "300 €" in page
