from __future__ import annotations

import pytest

from tests.sheet_builders import make_people


@pytest.fixture
def people(session):
    return make_people(session)
