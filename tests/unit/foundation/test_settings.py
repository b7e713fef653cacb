from __future__ import annotations

import pytest

from mutualisation.settings import SettingsError, load_settings


def test_production_without_secret_key_stops_with_a_clear_message(tmp_path):
    with pytest.raises(SettingsError, match="MUTUALISATION_SECRET_KEY is not set"):
        load_settings({"INSTANCE_PATH": str(tmp_path)}, environ={"MUTUALISATION_ENV": "production"})


def test_development_generates_a_secret_key_once_and_keeps_it(tmp_path):
    first = load_settings({"INSTANCE_PATH": str(tmp_path)}, environ={})
    second = load_settings({"INSTANCE_PATH": str(tmp_path)}, environ={})
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert (tmp_path / "secret_key").read_text().strip() == first["SECRET_KEY"]


def test_environment_overrides_files_including_nested_sections(tmp_path):
    settings = load_settings(
        {"INSTANCE_PATH": str(tmp_path)},
        environ={
            "MUTUALISATION_SESSION_COOKIE_SECURE": "false",
            "MUTUALISATION_PASSWORD_MIN_LENGTH": "12",
            "MUTUALISATION_MAP__TILE_URL": "https://tiles.example.org/{z}/{x}/{y}.png",
        },
    )
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["PASSWORD_MIN_LENGTH"] == 12
    assert settings["map"]["tile_url"].startswith("https://tiles.example.org")


def test_invalid_values_are_refused_at_start_up(tmp_path):
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "mysql://x"}, environ={})
    with pytest.raises(SettingsError, match="MUTUALISATION_ENV"):
        load_settings({}, environ={"MUTUALISATION_ENV": "staging"})


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path):
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)}, environ={})
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'mutualisation.sqlite3'}"
