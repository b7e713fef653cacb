"""Importing the application's modules registers nothing: create_app installs what the domains declare."""

from __future__ import annotations

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
