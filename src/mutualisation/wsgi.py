"""WSGI entry point for gunicorn: `gunicorn mutualisation.wsgi:app`."""

import gc

from .app import configure_logging, create_app

configure_logging()
app = create_app()
# The app's modules, classes and mappings live as long as the worker: moved out of the cycle
# collector's reach, its full passes stop walking them (177,000 objects, 88 ms a pass, paid by
# whichever request triggered it; 38 ms with every matching snapshot of a national network loaded).
gc.freeze()

if app.config.get("RUN_SCHEDULER_IN_PROCESS"):
    # `make run`: the jobs run inside the web process for convenience. Every worker starts a
    # standby thread; only the one holding the scheduler lock runs jobs. Production runs
    # `mutualisation scheduler` as its own process instead (RUN_SCHEDULER_IN_PROCESS = false).
    from .scheduler import start_in_process

    start_in_process(app)
