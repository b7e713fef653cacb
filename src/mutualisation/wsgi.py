"""WSGI entry point for gunicorn: `gunicorn mutualisation.wsgi:app`."""

from .app import configure_logging, create_app

configure_logging()
app = create_app()

if app.config.get("RUN_SCHEDULER_IN_PROCESS"):
    # `make run`: the jobs run inside the web process for convenience. Every worker starts a
    # standby thread; only the one holding the scheduler lock runs jobs. Production runs
    # `mutualisation scheduler` as its own process instead (RUN_SCHEDULER_IN_PROCESS = false).
    from .scheduler import start_in_process

    start_in_process(app)
