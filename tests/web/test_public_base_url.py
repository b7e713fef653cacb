"""E-mail links point where the app is served: `make run` derives PUBLIC_BASE_URL from its PORT."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from tests.builders import csrf_token, make_user

ROOT = Path(__file__).resolve().parents[2]


def _make_n(*args: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("MUTUALISATION_PUBLIC_BASE_URL", "PORT")}
    done = subprocess.run(
        ["make", "-n", "run", *args], cwd=ROOT, env=clean | env, capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_derives_the_public_base_url_from_its_port():
    commands = _make_n("PORT=5091")
    serve = next(line for line in commands.splitlines() if "mutualisation serve" in line)
    assert "MUTUALISATION_PUBLIC_BASE_URL=http://127.0.0.1:5091" in serve and "--port 5091" in serve
    init = next(line for line in commands.splitlines() if "init-local" in line)
    assert "MUTUALISATION_PUBLIC_BASE_URL=http://127.0.0.1:5091" in init


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_an_explicit_public_base_url_wins_over_the_port():
    commands = _make_n("PORT=5091", MUTUALISATION_PUBLIC_BASE_URL="https://mutualisation.example")
    assert "MUTUALISATION_PUBLIC_BASE_URL=https://mutualisation.example" in commands
    assert "127.0.0.1:5091 " not in commands.replace("--port 5091", "")


@pytest.fixture
def app_on_5091(engine, session_factory, tmp_path, monkeypatch):
    """The app as `PORT=5091 make run` starts it: the base URL comes from the environment."""
    from mutualisation.app import create_app

    monkeypatch.setenv("MUTUALISATION_PUBLIC_BASE_URL", "http://127.0.0.1:5091")
    application = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": str(engine.url.render_as_string(hide_password=False)),
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    application.extensions["mutualisation.sessions"] = session_factory
    return application


def test_a_mail_sent_under_a_configured_base_url_links_to_it(app_on_5091, session):
    client = app_on_5091.test_client()
    user = make_user(session)
    token = csrf_token(client, "/password/forgot")
    client.post("/password/forgot", data={"email": user.email, "csrf_token": token})
    folder = Path(app_on_5091.config["INSTANCE_PATH"]) / "mail"
    [file] = list(folder.glob("*.eml"))
    message = BytesParser(policy=policy.default).parsebytes(file.read_bytes())
    text = message.get_body(preferencelist=("plain",)).get_content()
    links = re.findall(r"https?://[^\s/]+", text)
    assert links and set(links) == {"http://127.0.0.1:5091"}
