from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from mutualisation.accounts.models import User
from tests.builders import csrf_token, make_user


def test_login_is_rate_limited_with_a_french_message(engine, session_factory, session, tmp_path):
    from mutualisation.app import create_app

    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "INSTANCE_PATH": str(tmp_path),
            "RATELIMIT_ENABLED": True,
            "LOGIN_RATE_LIMIT": "3 per minute",
        }
    )
    app.extensions["mutualisation.sessions"] = session_factory
    client = app.test_client()
    user = make_user(session)
    statuses = []
    for _ in range(5):
        token = csrf_token(client, "/login")
        response = client.post(
            "/login", data={"email": user.email, "password": "wrong-password", "csrf_token": token}
        )
        statuses.append(response.status_code)
    assert statuses[:3] == [200, 200, 200]
    assert statuses[-1] == 429
    assert "Trop de tentatives" in response.get_data(as_text=True)


def test_users_create_from_the_cli(app, session, monkeypatch):
    from mutualisation import cli

    make_user(session, territory_code="76402")
    monkeypatch.setattr(cli.AppContext, "app", property(lambda self: app))
    result = CliRunner().invoke(
        cli.main,
        [
            "users",
            "create",
            "--email",
            "Nouvel.Elu@Malaunay.fr",
            "--role",
            "official",
            "--territory",
            "76402",
            "--password-stdin",
        ],
        input="un mot de passe bien long\n",
    )
    assert result.exit_code == 0, result.output
    created = session.scalar(select(User).where(User.email == "nouvel.elu@malaunay.fr"))
    assert created is not None and created.role == "official" and created.territory.code == "76402"


def test_users_create_refuses_a_weak_password_with_a_clear_message(app, session, monkeypatch):
    from mutualisation import cli

    make_user(session, territory_code="76402")
    monkeypatch.setattr(cli.AppContext, "app", property(lambda self: app))
    result = CliRunner().invoke(
        cli.main,
        [
            "users",
            "create",
            "--email",
            "x@malaunay.fr",
            "--role",
            "official",
            "--territory",
            "76402",
            "--password-stdin",
        ],
        input="azerty\n",
    )
    assert result.exit_code != 0
    assert "password" in result.output.lower()
