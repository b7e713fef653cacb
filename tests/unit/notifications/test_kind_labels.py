"""Every notification kind the code sends is registered: it has a label in both languages and a
line in the e-mail preferences. Found by reading the source, so a new `notify(...)` cannot forget."""

from __future__ import annotations

import ast
from pathlib import Path

from flask_babel import force_locale
from markupsafe import escape

import mutualisation
from mutualisation.notifications import kinds
from tests.builders import login, make_user

SENDERS = {"notify", "tell", "tell_parties", "tell_side"}
SOURCE = Path(mutualisation.__file__).parent


def _constants(tree: ast.Module) -> dict[str, str]:
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def kinds_sent() -> set[str]:
    """The kind codes passed to a notifying function anywhere in the package."""
    found: set[str] = set()
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in SOURCE.rglob("*.py")]
    # Kinds are often module constants imported elsewhere (NOTIFY_KIND, JOIN_KIND).
    constants = {name: value for tree in trees for name, value in _constants(tree).items()}
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in SENDERS:
                continue
            for arg in node.args:
                value = arg.value if isinstance(arg, ast.Constant) else constants.get(getattr(arg, "id", ""))
                if isinstance(value, str) and "." in value and " " not in value:
                    found.add(value)
    return found


def test_the_source_scan_finds_the_kinds():
    sent = kinds_sent()
    assert {
        "agreement.signed",
        "agreement.approval_requested",
        "matching.new_suggestion",
        "join_request.received",
    } <= sent
    assert len(sent) >= 10


def test_every_kind_sent_is_registered_with_a_label_in_both_languages(app):
    assert sorted(kinds_sent() - set(kinds.KINDS)) == []
    with app.test_request_context():
        for code, kind in kinds.KINDS.items():
            with force_locale("en"):
                english = str(kind.label)
            with force_locale("fr"):
                french = str(kind.label)
            assert english and english != code
            assert french != english, f"{code}: no French label"


def test_every_kind_has_a_line_in_the_e_mail_preferences(app, client, session):
    user = make_user(session, "technician")
    login(client, user)
    html = client.get("/notifications/preferences").get_data(as_text=True)
    with app.test_request_context(), force_locale("fr"):
        missing = [code for code, kind in kinds.KINDS.items() if not _shown(str(kind.label), html)]
    assert missing == []
    assert not [code for code in kinds.KINDS if f">{code}<" in html]


def test_an_unknown_kind_never_shows_its_code():
    from flask import Flask
    from flask_babel import Babel

    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        assert str(kinds.label("somebody.new_kind")) == "Notification"


def _shown(text: str, html: str) -> bool:
    return text in html or str(escape(text)) in html
