"""A worker process for `test_matching_workers`: it runs the incremental update of each listing id
it reads on stdin, on its own connection and with its own snapshots, and answers how its copy of
the category was brought up to date ("loaded", "caught_up" or "current").

Run as `python -m tests.integration.matching_worker DATABASE_URL`.
"""

from __future__ import annotations

import json
import sys

from mutualisation.db import make_engine, make_session_factory
from mutualisation.matching import engine as matching
from mutualisation.matching import snapshots
from tests.integration.test_matching_engine import CFG


def main() -> None:
    engine = make_engine(sys.argv[1])
    factory = make_session_factory(engine)
    matching.attach_flush_listener(factory)
    how: list[str] = []
    load, catch_up = snapshots.Snapshot.load, snapshots.catch_up

    def loaded(*args, **kwargs):
        how.append("loaded")
        return load(*args, **kwargs)

    def caught_up(*args, **kwargs):
        done = catch_up(*args, **kwargs)
        how.append("caught_up" if done else "log_too_short")
        return done

    snapshots.Snapshot.load = loaded  # type: ignore[method-assign]
    snapshots.catch_up = caught_up  # type: ignore[assignment]
    print("ready", flush=True)
    for line in sys.stdin:
        how.clear()
        with factory() as session:
            matching.update_for_listing(session, int(line), CFG, coop=[])
        print(json.dumps(how or ["current"]), flush=True)
    engine.dispose()


if __name__ == "__main__":
    main()
