"""How a `mutualisation` command ends: the app's objects frozen before the interpreter's last
collections, and the database closed as before (real processes, a real SQLite file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mutualisation.db import make_engine
from mutualisation.migrate import upgrade


def _python(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


def test_importing_the_command_freezes_the_apps_objects_at_exit():
    # Registered before the import, so run after the command's own exit handlers (last in, first out).
    done = _python(
        "import atexit, gc\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count()))\n"
        "import mutualisation.cli\n"
    )
    frozen = int(done.stdout.split()[-1])
    assert frozen > 10_000, done.stdout  # the modules, classes and mappings of the app


def test_a_plain_interpreter_freezes_nothing_so_the_count_above_is_the_commands_doing():
    done = _python("import atexit, gc\natexit.register(lambda: print('frozen', gc.get_freeze_count()))\n")
    assert int(done.stdout.split()[-1]) == 0


def test_a_command_that_wrote_to_sqlite_still_closes_it_and_leaves_no_write_ahead_log(tmp_path: Path):
    database = tmp_path / "cli.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine, "heads")
    engine.dispose()
    env = {
        "MUTUALISATION_DATABASE_URL": f"sqlite:///{database}",
        "MUTUALISATION_INSTANCE_PATH": str(tmp_path),
        "MUTUALISATION_ENV": "development",
    }
    done = _python("from mutualisation.cli import main; main()", "match", "run", env=env)
    assert "0 inserted" in done.stdout
    # The last connection to close checkpoints the log into the database and deletes it; a
    # connection left to the (frozen) collector would never close.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("cli.sqlite3")) == ["cli.sqlite3"]
