"""An OpenAPI-driven fuzz of the whole API (issue 10): every operation of the served document gets
requests generated from its own schema, valid and invalid, with a caller's token; none may answer
5xx, and every error keeps the API's JSON shape.

Bounded in examples per operation so that it runs in well under a minute per database.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from mutualisation.accounts.services import create_token
from tests.builders import make_agreement, make_listing, make_user

EXAMPLES_PER_OPERATION = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 5}


@pytest.fixture
def bearer(session):
    loos, malaunay = make_user(session, "technician", "62528"), make_user(session, "technician", "76402")
    make_listing(session, loos)
    make_agreement(session, malaunay, loos, "proposed")
    _token, clear = create_token(session, malaunay, "fuzz")
    return {"Authorization": f"Bearer {clear}"}


def _fuzz(operation, mode: GenerationMode, headers: dict[str, str]) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION[mode],
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        response = case.call(headers=headers)
        where = f"{case.method} {case.formatted_path} query={case.query} body={case.body!r:.300}"
        assert response.status_code < 500, f"{where} → {response.status_code} {response.text[:300]}"
        if response.status_code >= 400 and response.headers.get("Content-Type", [""])[0].startswith(
            "application/json"
        ):
            assert "error" in response.json(), where

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_operation_of_the_api_answers_5xx_to_generated_requests(app, bearer, mode):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    fuzzed = 0
    for result in schema.get_all_operations():
        _fuzz(result.ok(), mode, bearer)
        fuzzed += 1
    assert fuzzed >= 20  # every documented operation, read from the document itself
