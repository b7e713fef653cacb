"""Matching registers nothing as a side effect of an import."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

import mutualisation.matching.engine
import mutualisation.matching.jobs
import mutualisation.matching.views
from mutualisation.listings import hooks
from mutualisation.matching.snapshots import bump_changed_categories

assert not event.contains(Session, "after_flush", bump_changed_categories), "flush listener attached"
assert hooks.followers_of(sessionmaker()()) == (), "listing follower registered"
"""


def test_importing_the_engine_attaches_no_listener_and_registers_no_follower():
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
