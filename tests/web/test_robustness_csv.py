"""CSV exports never carry a formula (issue 10, item 6): every export kind, every column, and the
one writer is the only CSV writer of the code base."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from mutualisation.impact.exports import render, safe_cell
from mutualisation.impact.services import EXPORTS
from tests.builders import make_listing, make_user

PAYLOADS = [
    '=HYPERLINK("http://evil.example","x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "|cmd",
    "%0A=1",
]
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")
SRC = Path(__file__).resolve().parents[2] / "src"


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]


@pytest.mark.parametrize("kind", sorted(EXPORTS))
def test_every_column_of_every_export_is_neutralised(kind):
    columns = EXPORTS[kind][1]
    rows = [{column: payload for column in columns} for payload in PAYLOADS]
    text = render(rows, columns, "csv")
    body = cells(text)[len(columns) :]
    assert len(body) == len(columns) * len(PAYLOADS)
    for cell in body:
        assert not cell.startswith(DANGEROUS_START), (kind, cell)
        assert cell.startswith("'"), cell


def test_numbers_and_plain_text_are_left_as_they_are():
    assert safe_cell(-12.5) == -12.5 and safe_cell(None) == ""
    text = render([{"a": -3, "b": "Podium", "c": "-4"}], ["a", "b", "c"], "csv")
    assert cells(text)[3:] == ["-3", "Podium", "-4"]


def test_the_export_command_neutralises_a_malicious_listing_title(app, session):
    owner = make_user(session, "technician")
    for payload in PAYLOADS:
        make_listing(session, owner, title=payload, description=payload)
    from mutualisation.cli import AppContext, main

    ctx = AppContext()
    ctx._app = app
    result = CliRunner().invoke(main, ["export", "listings", "--format", "csv"], obj=ctx)
    assert result.exit_code == 0, result.output
    exported = cells(result.output)
    titles = [cell for cell in exported if any(p.lstrip("\t\r") in cell for p in PAYLOADS)]
    assert len(titles) >= len(PAYLOADS)
    assert not [cell for cell in exported if cell.startswith(DANGEROUS_START)]


def test_no_csv_writer_exists_outside_the_safe_one():
    writers = re.compile(r"csv\.(writer|DictWriter)\(|import csv\b|from csv import")
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if writers.search(path.read_text(encoding="utf-8"))
        and path.name != "gazetteer.py"  # reads the communes' CSV, writes none
        and path != SRC / "mutualisation" / "impact" / "exports.py"  # the safe writer itself
    ]
    assert offenders == []
