from __future__ import annotations

from mutualisation.migrate import downgrade, drift, upgrade


def test_migrations_match_the_models_and_downgrade_cleanly(engine):
    assert drift(engine) == []
    downgrade(engine, "base")
    upgrade(engine, "heads")
    assert drift(engine) == []


def test_the_migrations_have_a_single_head():
    from alembic.script import ScriptDirectory

    from mutualisation.migrate import alembic_config

    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1
