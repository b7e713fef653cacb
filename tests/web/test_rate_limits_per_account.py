"""Issue 10, item 7: rate limits per account as well as per address; X-Forwarded-For only behind a proxy."""

from __future__ import annotations

import pytest

from mutualisation.extensions import rate_limit_store_warning
from mutualisation.settings import load_settings
from tests.builders import csrf_token, make_user


@pytest.fixture
def limited_app(engine, session_factory, tmp_path):
    from mutualisation.app import create_app

    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "INSTANCE_PATH": str(tmp_path),
            "RATELIMIT_ENABLED": True,
        }
    )
    app.extensions["mutualisation.sessions"] = session_factory
    return app


def _bad_login(client, email: str, address: str, forwarded: str | None = None) -> int:
    environ = {"REMOTE_ADDR": address}
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={"email": email, "password": "wrong-password", "csrf_token": token},
        environ_base=environ,
        headers=headers,
    )
    return response.status_code


def test_24_bad_logins_for_one_account_from_rotating_addresses_are_limited(limited_app, session):
    user = make_user(session)
    client = limited_app.test_client()

    statuses = [_bad_login(client, user.email.upper(), f"198.51.100.{i}") for i in range(24)]

    assert statuses[:10] == [200] * 10
    assert statuses.count(429) == 14  # from the eleventh guess, whatever the address


def test_bad_token_requests_count_against_the_same_account(limited_app, session):
    user = make_user(session)
    client = limited_app.test_client()
    statuses = [
        client.post(
            "/api/v1/auth/tokens",
            json={"email": user.email, "password": "wrong-password"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{i}"},
        ).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]


def test_x_forwarded_for_is_ignored_by_default_so_it_cannot_dodge_the_address_limit(limited_app, session):
    client = limited_app.test_client()
    statuses = [
        _bad_login(client, f"someone{i}@example.org", "192.0.2.7", forwarded=f"10.0.0.{i}") for i in range(12)
    ]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429]


def test_production_trusts_no_proxy_and_shares_limits_in_redis_by_default():
    settings = load_settings({"SECRET_KEY": "x" * 32}, environ={"MUTUALISATION_ENV": "production"})
    assert settings["TRUSTED_PROXIES"] == 0
    assert settings["RATELIMIT_STORAGE_URI"].startswith("redis://")
    assert rate_limit_store_warning(settings, workers=2) is None


def test_serving_several_workers_with_process_memory_limits_prints_a_clear_warning():
    config = {"RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": True}
    assert "2 workers each count on their own" in rate_limit_store_warning(config, workers=2)
    assert rate_limit_store_warning(config, workers=1) is None


def test_serve_reads_port_and_workers_from_the_environment_as_numbers(monkeypatch, tmp_path):
    """`make run` passes PORT and WEB_CONCURRENCY as strings: serve must warn and start, not crash."""
    from click.testing import CliRunner

    from mutualisation import cli

    started: list[list[str]] = []
    monkeypatch.setattr(cli.os, "execv", lambda _path, args: started.append(args))
    monkeypatch.setenv("PORT", "5091")
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    monkeypatch.setenv("MUTUALISATION_INSTANCE_PATH", str(tmp_path))
    result = CliRunner().invoke(cli.main, ["serve"])
    assert result.exit_code == 0, result.output
    assert "2 workers each count on their own" in result.output
    args = started[0]
    assert args[args.index("--bind") + 1] == "127.0.0.1:5091" and args[args.index("--workers") + 1] == "2"
