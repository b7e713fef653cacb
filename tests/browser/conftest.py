"""A real browser (Debian's chromium driven by Playwright) against the app served on a real port.

The server runs in a thread on a SQLite database built by the migrations, with the demo
network loaded, exactly as `make run` prepares it (the full gazetteer is not needed).
Outside CI, the browser tests skip when chromium is missing; in CI they must run.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
DEMO_PASSWORD = "demo-password"


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI"):
        raise pytest.UsageError("chromium is missing in CI: .ci/run should have installed it")
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The served app: tests may add data through its sessions and read its mail folder."""
    from mutualisation.app import create_app
    from mutualisation.demo import load_demo
    from mutualisation.migrate import upgrade

    folder = tmp_path_factory.mktemp("live")
    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": f"sqlite:///{folder / 'live.sqlite3'}",
            "INSTANCE_PATH": str(folder / "instance"),
            "RATELIMIT_ENABLED": False,
        }
    )
    upgrade(app.extensions["mutualisation.engine"])
    with app.app_context():
        from mutualisation.web import db_session

        load_demo(db_session())
    return app


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


PAGE_TIMEOUT_MS = 15_000


def _new_context(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    # Tests have no internet: map tiles and any other outside request fail at once.
    context.route(lambda url: not url.startswith(live_server), lambda route: route.abort())
    return context


@pytest.fixture
def page(browser, live_server):
    context = _new_context(browser, live_server)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    yield page
    context.close()


@pytest.fixture
def person(request, browser, live_server):
    """person(email) -> a logged-in page in its own browser context (a test module may set a
    longer PAGE_TIMEOUT_MS)."""
    timeout = getattr(request.module, "PAGE_TIMEOUT_MS", PAGE_TIMEOUT_MS)
    contexts = []

    def open_as(email: str):
        context = _new_context(browser, live_server)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(timeout)
        log_in(page, email)
        return page

    yield open_as
    for context in contexts:
        context.close()


def log_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/login" not in url)


def action_form(page, label: str):
    """The agreement page's action form whose heading is `label`."""
    return page.locator("form.agreement-action").filter(
        has=page.get_by_role("heading", name=label, exact=True)
    )


def send_message(page, text: str) -> None:
    """Write in the thread (#messages) of the page open, and see the message in it."""
    thread = page.locator("#messages")
    thread.get_by_label("Votre message").fill(text)
    thread.get_by_role("button", name="Envoyer le message").click()
    page.wait_for_load_state()
    assert text in page.locator("#messages").inner_text()


def ask_about_listing(page, listing_id: int, text: str) -> None:
    """Ask a listing's territory a question from the listing's page."""
    page.goto(f"/listings/{listing_id}")
    page.get_by_role("link", name="Poser une question").click()
    send_message(page, text)
