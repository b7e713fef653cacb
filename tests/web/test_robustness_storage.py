"""Uploads survive a second machine (issue 10, item 15): one storage interface, a local folder by
default and the database on demand, where two app instances see each other's files."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mutualisation.storage import Blob, DatabaseStorage, LocalFolderStorage, storage_for
from tests.builders import login, make_agreement, make_user
from tests.web.test_agreement_photos_web import JPEG, _photo_urls, _start


@pytest.fixture(params=["local", "database"])
def backend(request, app):
    app.config["STORAGE_BACKEND"] = request.param
    app.extensions.pop("mutualisation.storage", None)
    return request.param


def test_each_backend_stores_reads_replaces_and_deletes_a_file(app, backend):
    storage = storage_for(app)
    assert isinstance(storage, LocalFolderStorage if backend == "local" else DatabaseStorage)
    storage.put("agreements/1/a.jpg", b"first")
    storage.put("agreements/1/a.jpg", b"second")
    assert storage.get("agreements/1/a.jpg") == b"second"
    assert storage.get("agreements/1/missing.jpg") is None
    storage.delete("agreements/1/a.jpg")
    storage.delete("agreements/1/a.jpg")  # deleting twice is harmless
    assert storage.get("agreements/1/a.jpg") is None


@pytest.mark.parametrize("key", ["../secret", "/etc/passwd", "a//b", "a/../b", "a\\b", "", "x" * 300])
def test_no_key_leaves_the_storage(app, backend, key):
    with pytest.raises(ValueError):
        storage_for(app).put(key, b"x")


def test_an_unknown_backend_stops_the_start(engine, tmp_path):
    from mutualisation.app import create_app

    with pytest.raises(ValueError, match="STORAGE_BACKEND"):
        create_app(
            {
                "ENV": "testing",
                "DATABASE_URL": engine.url.render_as_string(hide_password=False),
                "INSTANCE_PATH": str(tmp_path),
                "STORAGE_BACKEND": "floppy",
            }
        )


def test_report_photos_go_through_the_configured_backend(app, client, session, backend):
    provider = make_user(session, "technician", "62528")
    beneficiary = make_user(session, "technician", "76402")
    agreement = make_agreement(session, beneficiary, provider, "signed")
    login(client, beneficiary)
    assert _start(client, agreement.id, [("avant.jpg", JPEG)]).status_code == 302
    [url] = _photo_urls(client.get(f"/agreements/{agreement.id}").get_data(as_text=True), agreement.id)
    assert client.get(url).data == JPEG
    on_disk = list(Path(app.instance_path).rglob("*.jpg"))
    in_database = session.scalar(select(func.count()).select_from(Blob))
    assert (len(on_disk), in_database) == ((1, 0) if backend == "local" else (0, 1))


def test_two_app_instances_on_one_database_see_each_others_files(engine, tmp_path):
    """Two machines behind one proxy: separate instance folders, the same database."""
    from mutualisation.app import create_app

    url = engine.url.render_as_string(hide_password=False)
    apps = [
        create_app(
            {
                "ENV": "testing",
                "DATABASE_URL": url,
                "INSTANCE_PATH": str(tmp_path / name),
                "STORAGE_BACKEND": "database",
            }
        )
        for name in ("machine-a", "machine-b")
    ]
    first, second = (storage_for(app) for app in apps)
    key = f"agreements/1/{secrets.token_hex(16)}.png"
    try:
        first.put(key, b"\x89PNG shared")
        assert second.get(key) == b"\x89PNG shared"
        second.delete(key)
        assert first.get(key) is None
    finally:
        first.delete(key)
        for app in apps:
            app.extensions["mutualisation.engine"].dispose()
