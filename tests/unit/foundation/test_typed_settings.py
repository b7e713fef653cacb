"""Typed settings: every layer is checked, and a wrong key stops the start naming the key and its file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mutualisation.paths import resource_dir
from mutualisation.settings import SettingsError, load_typed_settings


@pytest.fixture
def config_dir(tmp_path) -> Path:
    """A copy of the project's config/ that a test may edit."""
    folder = tmp_path / "config"
    shutil.copytree(resource_dir("config"), folder)
    return folder


def _load(config_dir: Path, tmp_path: Path, env: str = "testing", environ=None, **overrides):
    return load_typed_settings(
        {"ENV": env, "INSTANCE_PATH": str(tmp_path / "instance"), **overrides},
        environ=environ or {},
        config_dir=config_dir,
    )


def _add_to_section(path: Path, section: str, line: str) -> None:
    text = path.read_text()
    assert f"[{section}]\n" in text
    path.write_text(text.replace(f"[{section}]\n", f"[{section}]\n{line}\n", 1))


@pytest.mark.parametrize("env", ["development", "testing"])
def test_the_project_config_files_load_into_typed_sections(env, tmp_path):
    settings = load_typed_settings({"ENV": env, "INSTANCE_PATH": str(tmp_path)}, environ={})
    assert env == settings.core.ENV
    assert isinstance(settings.scheduler.leader_check_seconds, float)
    assert settings.matching.decay_km["know_how"] == 1500.0
    assert settings.pagination.max_per_page == 100


def test_production_config_loads_when_the_secret_key_comes_from_the_environment(tmp_path):
    settings = load_typed_settings(
        {"INSTANCE_PATH": str(tmp_path)},
        environ={"MUTUALISATION_ENV": "production", "MUTUALISATION_SECRET_KEY": "k" * 32},
    )
    # Production trusts no proxy unless told how many stand in front (X-Forwarded-For is forgeable).
    assert settings.core.TRUSTED_PROXIES == 0 and settings.secret_key == "k" * 32
    assert settings.core.RATELIMIT_STORAGE_URI.startswith("redis://")


def test_the_testing_file_turns_rate_limiting_off_at_the_top_level_where_flask_reads_it(tmp_path):
    # It used to sit under [geocoding], where nobody read it.
    assert (
        load_typed_settings(
            {"ENV": "testing", "INSTANCE_PATH": str(tmp_path)}, environ={}
        ).core.RATELIMIT_ENABLED
        is False
    )
    assert load_typed_settings({"INSTANCE_PATH": str(tmp_path)}, environ={}).core.RATELIMIT_ENABLED is True


def test_a_top_level_key_written_under_a_section_is_refused_naming_the_key_the_file_and_its_place(
    config_dir, tmp_path
):
    _add_to_section(config_dir / "testing.toml", "geocoding", "RATELIMIT_ENABLED = false")
    with pytest.raises(SettingsError) as caught:
        _load(config_dir, tmp_path)
    message = str(caught.value)
    assert "'RATELIMIT_ENABLED'" in message and "config/testing.toml" in message
    assert "under [geocoding]" in message and "top of the file" in message


def test_a_section_key_written_at_the_top_level_is_refused_with_its_section(config_dir, tmp_path):
    path = config_dir / "development.toml"
    path.write_text("top_k = 3\n" + path.read_text())
    with pytest.raises(
        SettingsError, match=r"'top_k' in config/development.toml .* belongs under \[matching\]"
    ):
        _load(config_dir, tmp_path, env="development")


def test_an_unknown_key_is_refused_with_the_known_keys_of_its_section(config_dir, tmp_path):
    _add_to_section(config_dir / "default.toml", "mail", "hots = 'smtp.example.org'")
    with pytest.raises(SettingsError, match=r"unknown setting 'hots' under \[mail\] in config/default.toml"):
        _load(config_dir, tmp_path)


def test_an_unknown_environment_variable_names_the_environment(config_dir, tmp_path):
    with pytest.raises(
        SettingsError, match="'retries' under \\[mail\\] in the MUTUALISATION_\\* environment"
    ):
        _load(config_dir, tmp_path, environ={"MUTUALISATION_MAIL__RETRIES": "3"})


def test_a_key_missing_from_every_file_stops_the_start(config_dir, tmp_path):
    path = config_dir / "default.toml"
    path.write_text(path.read_text().replace("batch_size = 50", ""))
    with pytest.raises(SettingsError, match=r"'batch_size' under \[mail\] is missing"):
        _load(config_dir, tmp_path)


def test_a_value_of_the_wrong_type_is_refused(config_dir, tmp_path):
    with pytest.raises(SettingsError, match="'daily_digest_hour' under \\[scheduler\\] must be int"):
        _load(config_dir, tmp_path, environ={"MUTUALISATION_SCHEDULER__DAILY_DIGEST_HOUR": "seven"})
    with pytest.raises(SettingsError, match="'SESSION_COOKIE_SECURE' at the top level must be bool"):
        _load(config_dir, tmp_path, SESSION_COOKIE_SECURE="no")


def test_a_secret_written_in_a_file_is_refused(config_dir, tmp_path):
    _add_to_section(config_dir / "default.toml", "mail", "password = 'hunter2hunter2'")
    with pytest.raises(SettingsError, match=r"mail\.password is a secret .* MUTUALISATION_MAIL__PASSWORD"):
        _load(config_dir, tmp_path)


def test_environment_variables_reach_sections_and_tables_inside_sections(config_dir, tmp_path):
    settings = _load(
        config_dir,
        tmp_path,
        environ={
            "MUTUALISATION_MAIL__PASSWORD": "from the environment",
            "MUTUALISATION_MATCHING__DECAY_KM__SKILL": "250",
            "MUTUALISATION_SCHEDULER__LEADER_CHECK_SECONDS": "2",
            "MUTUALISATION_LOG_LEVEL": "INFO",
            "MUTUALISATION_BENCH_DATABASE_URL": "sqlite://",
        },
    )
    assert settings.mail.password == "from the environment"
    assert settings.matching.decay_km["skill"] == 250 and settings.matching.decay_km["equipment"] == 50.0
    assert settings.scheduler.leader_check_seconds == 2.0


def test_the_flask_config_keeps_each_section_as_a_table(tmp_path):
    config = load_typed_settings({"ENV": "testing", "INSTANCE_PATH": str(tmp_path)}, environ={}).as_config()
    assert config["PASSWORD_MIN_LENGTH"] == 10
    assert config["scheduler"]["job_runs_keep_days"] == 30
    assert config["mail"]["password"] == ""


def test_a_file_that_is_not_valid_toml_is_named(config_dir, tmp_path):
    (config_dir / "testing.toml").write_text("[geocoding\n")
    with pytest.raises(SettingsError, match=r"config/testing\.toml is not valid TOML"):
        _load(config_dir, tmp_path)


def test_the_accessibility_statement_refuses_an_unknown_status_or_a_malformed_audit_date(
    config_dir, tmp_path
):
    with pytest.raises(SettingsError, match=r"\[accessibility\] status must be one of full, partial, none"):
        _load(config_dir, tmp_path, accessibility={"status": "partielle"})
    with pytest.raises(SettingsError, match=r"\[accessibility\] audit_date must be an ISO date"):
        _load(config_dir, tmp_path, accessibility={"audit_date": "15/03/2026"})
    declared = _load(config_dir, tmp_path, accessibility={"audit_date": "2026-03-15"}).accessibility
    assert declared.audited is not None and declared.audited.isoformat() == "2026-03-15"
    assert _load(config_dir, tmp_path).accessibility.audited is None
