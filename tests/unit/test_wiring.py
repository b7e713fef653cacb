"""Importing the application's modules registers nothing: create_app installs what the domains declare."""

from __future__ import annotations

import os
import subprocess
import sys

CHECK = """
import importlib
import pkgutil

import mutualisation
from mutualisation import ui
from mutualisation.accounts import permissions
from mutualisation.notifications import kinds

base_policies, base_kinds = set(permissions.POLICIES), set(kinds.KINDS)
for info in pkgutil.walk_packages(mutualisation.__path__, "mutualisation."):
    if info.name != "mutualisation.wsgi":  # the WSGI entry point builds an app: that is its job
        importlib.import_module(info.name)

assert ui.REGISTRY.nav == [], [item.endpoint for item in ui.REGISTRY.nav]
assert ui.REGISTRY.panels == [], [panel.template for panel in ui.REGISTRY.panels]
assert set(permissions.POLICIES) == base_policies, set(permissions.POLICIES) - base_policies
assert set(kinds.KINDS) == base_kinds, set(kinds.KINDS) - base_kinds
"""


def test_importing_every_module_adds_no_nav_entry_panel_policy_or_notification_kind():
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


FROZEN = """
import gc

import mutualisation.wsgi as wsgi

assert not wsgi.app.config["RUN_SCHEDULER_IN_PROCESS"]
print(gc.get_freeze_count())
"""


def test_the_wsgi_entry_point_moves_the_app_out_of_the_collectors_full_passes(tmp_path):
    env = {
        **os.environ,
        "MUTUALISATION_ENV": "development",
        "MUTUALISATION_INSTANCE_PATH": str(tmp_path),
        "MUTUALISATION_DATABASE_URL": f"sqlite:///{tmp_path}/app.sqlite3",
        "MUTUALISATION_RUN_SCHEDULER_IN_PROCESS": "false",
    }
    result = subprocess.run(
        [sys.executable, "-c", FROZEN], capture_output=True, text=True, check=False, env=env
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) > 50_000  # the app's modules, classes and mappings
