"""The domains are wired from one explicit list: what it declares is what the app, the CLI and the
scheduler use, and listing followers are scoped to the app's own sessions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from mutualisation.accounts.permissions import POLICIES
from mutualisation.app import create_app
from mutualisation.declarations import Domain, ScheduledJob, cron
from mutualisation.domains import DOMAINS, all_jobs, configure_sessions
from mutualisation.listings import hooks
from mutualisation.listings.alerts import announce_new_listing
from mutualisation.matching.domain import follow_listing_change
from mutualisation.scheduler import app_jobs

PACKAGE = Path(__file__).resolve().parents[3] / "src" / "mutualisation"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("domains")
    return create_app(
        {"ENV": "testing", "DATABASE_URL": f"sqlite:///{folder / 'x.sqlite3'}", "INSTANCE_PATH": str(folder)}
    )


def test_every_domain_package_declares_itself_and_is_in_the_list():
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert {d.name for d in DOMAINS} == packages
    assert all((PACKAGE / d.name / "domain.py").exists() for d in DOMAINS)


def test_nothing_in_the_package_is_found_by_import_module():
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute):
                assert node.attr not in ("import_module", "find_spec"), path


def test_the_app_registers_every_declared_blueprint_and_policy(app):
    for domain in DOMAINS:
        for blueprint in (*domain.blueprints, *domain.api_blueprints):
            assert app.blueprints[blueprint.name] is blueprint
        for name, policy in domain.policies.items():
            assert POLICIES[name] is policy
    assert app.extensions["mutualisation.domains"] == DOMAINS


def test_the_scheduler_runs_the_jobs_the_app_was_created_with(app):
    assert [j.name for j in app_jobs(app)] == [j.name for d in DOMAINS for j in d.jobs]
    assert "notifications.prune_job_runs" in {j.name for j in app_jobs(app)}


def test_two_jobs_with_one_name_stop_the_scheduler():
    job = ScheduledJob("x.same", lambda app, now: {}, cron(hour=1))
    with pytest.raises(RuntimeError, match=r"x\.same"):
        all_jobs([Domain(name="x", jobs=(job,)), Domain(name="y", jobs=(job,))])


def test_alerts_and_matching_follow_listing_changes_only_in_sessions_of_a_configured_factory(app):
    plain = sessionmaker()()
    assert hooks.followers_of(plain) == ()
    app_session = app.extensions["mutualisation.sessions"]()
    assert hooks.followers_of(app_session) == (announce_new_listing, follow_listing_change)
    configured = sessionmaker()
    configure_sessions(configured)
    assert hooks.followers_of(configured()) == (announce_new_listing, follow_listing_change)


def test_a_follower_added_to_one_session_stays_in_that_session(app):
    factory = app.extensions["mutualisation.sessions"]
    first, second = factory(), factory()
    seen = []
    hooks.follow(first, lambda _s, listing_id, change: seen.append((listing_id, change)))
    assert len(hooks.followers_of(first)) == 3 and len(hooks.followers_of(second)) == 2


def test_a_failing_follower_is_logged_and_the_next_one_still_runs(caplog):
    session = sessionmaker()()
    seen = []

    def broken(_session, _listing_id, _change):
        raise RuntimeError("boom")

    hooks.follow(session, broken)
    hooks.follow(session, lambda _s, listing_id, change: seen.append((listing_id, change)))
    hooks.listing_changed(session, 7, "published")
    assert seen == [(7, "published")]
    assert "listing follower" in caplog.text and "boom" in caplog.text
