from __future__ import annotations

from mutualisation.migrate import downgrade, drift, upgrade


def test_migrations_match_the_models_and_downgrade_cleanly(engine):
    assert drift(engine) == []
    downgrade(engine, "base")
    upgrade(engine, "heads")
    assert drift(engine) == []
