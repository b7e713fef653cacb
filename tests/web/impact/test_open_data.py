"""Open data over HTTP: public exports, CSV neutralised, and a data package that validates."""

from __future__ import annotations

import csv
import io
import json
import re

import frictionless

from tests.sheet_builders import make_evaluated_agreement, make_sheet


def test_the_served_data_package_validates_with_frictionless(client, session, people, tmp_path):
    make_evaluated_agreement(session, people["mal_tech"], people["loos_tech"])
    make_sheet(
        session, people["loos_tech"], people["loos_official"], title="=HYPERLINK(1)", pitfalls="-2 agents"
    )
    package = client.get("/api/v1/exports/datapackage.json")
    assert package.status_code == 200
    descriptor = package.json
    assert {r["name"] for r in descriptor["resources"]} == {"listings", "agreements", "impact", "sheets"}
    licences = {r["name"]: r["licenses"][0]["name"] for r in descriptor["resources"]}
    assert licences["sheets"] == "CC-BY-SA-4.0" and licences["listings"] == "etalab-2.0"
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor))
    for resource in descriptor["resources"]:
        answer = client.get(f"/api/v1/exports/{resource['path']}")
        assert answer.status_code == 200 and answer.mimetype == "text/csv"
        (tmp_path / resource["path"]).write_bytes(answer.data)
    report = frictionless.Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])


def test_exports_are_public_neutralise_formulas_and_name_nobody(client, session, people):
    make_sheet(session, people["loos_tech"], people["loos_official"], title="=HYPERLINK(1)", pitfalls="@SUM")
    make_sheet(session, people["loos_tech"], title="Brouillon")
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/api/v1/exports/sheets.csv").get_data(as_text=True)), delimiter=";"
        )
    )
    assert [r["title"] for r in rows] == ["'=HYPERLINK(1)"] and rows[0]["pitfalls"] == "'@SUM"
    as_json = client.get("/api/v1/exports/sheets.json").json
    assert as_json[0]["title"] == "=HYPERLINK(1)"
    text = json.dumps(as_json) + client.get("/api/v1/exports/sheets.geojson").get_data(as_text=True)
    assert people["loos_tech"].email not in text and people["loos_tech"].name not in text
    for name in ("listings", "agreements", "impact"):
        for fmt in ("csv", "json", "geojson"):
            assert client.get(f"/api/v1/exports/{name}.{fmt}").status_code == 200
    missing = client.get("/api/v1/exports/users.csv")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


def test_the_impact_api_is_public_and_checks_its_filters(client, session, people):
    make_evaluated_agreement(session, people["mal_tech"], people["loos_tech"])
    answer = client.get("/api/v1/impact?territory=76402")
    assert answer.status_code == 200
    for key in (
        "agreements_completed",
        "money_saved_eur",
        "kg_diverted",
        "co2e_kg",
        "km_travelled",
        "by_month",
    ):
        assert key in answer.json
    assert answer.json["agreements_completed"] == 1 and answer.json["money_saved_eur"] == 1200
    assert client.get("/api/v1/impact?year=abc").status_code == 422
    network = client.get("/api/v1/impact/network").json
    assert network["links"][0]["agreements"] == 1


def test_the_impact_charts_name_their_months_in_words(client, session, people):
    make_evaluated_agreement(session, people["mal_tech"], people["loos_tech"])
    month_key = client.get("/api/v1/impact").json["by_month"][0]["month"]  # "2026-12"
    page = client.get("/impact").get_data(as_text=True)
    labels = re.findall(r'class="chart-label">([^<]*)<', page)
    assert labels and not any(re.search(r"\d\d-\d\d", label) for label in labels)  # not "26-12"
    year = month_key[:4]
    assert all(label.endswith(f". {year}") or label.endswith(f" {year}") for label in labels[:1])
    descriptions = re.findall(r"<desc[^>]*>([^<]*)</desc>", page)
    assert descriptions and all(month_key not in d and year in d for d in descriptions)


def test_the_command_line_exports_sheets_exactly_as_the_api_serves_them(app, client, session, people):
    from click.testing import CliRunner

    from mutualisation.cli import AppContext, main

    make_sheet(session, people["loos_tech"], people["loos_official"], title="=HYPERLINK(1)")
    make_sheet(session, people["loos_tech"], title="Brouillon caché")
    ctx = AppContext()
    ctx._app = app
    for fmt in ("csv", "json", "geojson"):
        result = CliRunner().invoke(main, ["export", "sheets", "--format", fmt], obj=ctx)
        assert result.exit_code == 0, result.output
        served = client.get(f"/api/v1/exports/sheets.{fmt}").get_data(as_text=True)
        assert result.output == served.replace("\r\n", "\n")  # the test runner's output has \n lines
        assert "HYPERLINK" in result.output and "Brouillon caché" not in result.output
    assert "'=HYPERLINK(1)" in CliRunner().invoke(main, ["export", "sheets"], obj=ctx).output
    geojson = CliRunner().invoke(main, ["export", "sheets", "--format", "geojson"], obj=ctx).output
    features = json.loads(geojson)
    assert features["type"] == "FeatureCollection" and len(features["features"]) == 1
