"""Report photos are recognised by their first bytes and stored under unguessable names."""

from __future__ import annotations

from mutualisation.agreements import photos
from mutualisation.storage import LocalFolderStorage

JPEG = b"\xff\xd8\xff\xdb" + b"\x00" * 10
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 10


def test_jpeg_and_png_are_recognised_by_their_magic_bytes_not_their_name():
    assert photos.kind_of(JPEG) == "jpg"
    assert photos.kind_of(PNG) == "png"
    assert photos.kind_of(b"GIF89a") is None
    assert photos.kind_of(b"<svg xmlns='http://www.w3.org/2000/svg'/>") is None
    assert photos.kind_of(b"") is None


def test_a_photo_over_the_limit_is_refused_and_one_at_the_limit_is_accepted():
    assert photos.check(JPEG, len(JPEG) - 1) == photos.TOO_LARGE
    assert photos.check(JPEG, len(JPEG)) == photos.Photo(JPEG, "jpg")
    assert photos.check(b"MZ\x90\x00", 100) == photos.NOT_AN_IMAGE


def test_stored_photos_get_random_names_and_only_such_names_are_served(tmp_path):
    storage = LocalFolderStorage(tmp_path)
    first = photos.store(storage, 7, photos.Photo(PNG, "png"))
    second = photos.store(storage, 7, photos.Photo(PNG, "png"))
    assert first != second and photos.NAME_PATTERN.match(first)
    assert photos.read(storage, 7, first) == (PNG, "image/png")
    assert photos.read(storage, 8, first) is None  # another agreement's folder
    assert photos.read(storage, 7, "../../secret_key") is None
    photos.discard(storage, 7, [first])
    assert photos.read(storage, 7, first) is None
