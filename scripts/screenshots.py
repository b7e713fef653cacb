"""Take the README's screenshots: the app served on a fresh demo database, seen by Debian's chromium.

Usage: python scripts/screenshots.py [output folder, default docs/screenshots]
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from mutualisation.app import create_app
from mutualisation.demo import load_demo
from mutualisation.migrate import upgrade
from mutualisation.web import db_session

ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = [
    # (file, user or None, path)
    ("login.png", None, "/login"),
    ("dashboard-technician.png", "technician@malaunay.demo", "/"),
    (
        "browse.png",
        "technician@loos-en-gohelle.demo",
        "/listings?category=equipment&near=62528&radius_km=300",
    ),
    ("map.png", "technician@loos-en-gohelle.demo", "/listings/map"),
    ("agreements.png", "official@malaunay.demo", "/agreements"),
    ("approval-queue.png", "official@malaunay.demo", "/agreements/approvals"),
    ("agreement.png", "admin@mutualisation.demo", "/agreements/{evaluated}"),
    ("agreement-approved.png", "admin@mutualisation.demo", "/agreements/{approved}"),
    ("convention.png", "admin@mutualisation.demo", "/agreements/{approved}/convention"),
    ("calendar.png", "technician@malaunay.demo", "/listings/{bookable}/calendar"),
    ("home-visitor.png", None, "/"),
    ("impact.png", None, "/impact"),
    ("sheets.png", None, "/sheets"),
    ("sheet.png", None, "/sheets/1"),
    ("territory.png", None, "/territories/62528"),
]


def demo_ids(session) -> dict[str, int]:
    """The ids the shots name, found in the demo rather than written down: they move with it."""
    from sqlalchemy import select

    from mutualisation.agreements.models import Agreement
    from mutualisation.listings.models import Listing

    def first(column, condition) -> int:
        return int(session.scalars(select(column).where(condition).order_by(column).limit(1)).one())

    return {
        "evaluated": first(Agreement.id, Agreement.status == "evaluated"),
        "approved": first(Agreement.id, Agreement.status == "approved"),
        "bookable": first(Listing.id, Listing.bookable_units.is_not(None)),
    }


def serve(folder: Path) -> tuple[str, dict[str, int]]:
    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": f"sqlite:///{folder / 'shots.sqlite3'}",
            "INSTANCE_PATH": str(folder / "instance"),
            "RATELIMIT_ENABLED": False,
        }
    )
    upgrade(app.extensions["mutualisation.engine"])
    with app.app_context():
        load_demo(db_session())
        ids = demo_ids(db_session())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", ids


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        base, ids = serve(Path(tmp))
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, email, path in SHOTS:
            context = browser.new_context(
                base_url=base, locale="fr-FR", viewport={"width": 1280, "height": 800}
            )
            context.route(lambda url: not url.startswith(base), lambda route: route.abort())
            page = context.new_page()
            if email:
                page.goto("/login")
                page.get_by_label("Courriel").fill(email)
                page.get_by_label("Mot de passe").fill("demo-password")
                page.get_by_role("button", name="Se connecter").click()
                page.wait_for_url(lambda url: "/login" not in url)
            path = path.format(**ids)
            response = page.goto(path)
            if response is None or response.status >= 400:
                print(f"skipped {name}: {path} answered {response.status if response else 'nothing'}")
                context.close()
                continue
            page.wait_for_timeout(500)
            page.screenshot(path=str(out / name), full_page=False)
            print(f"wrote {out / name}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
