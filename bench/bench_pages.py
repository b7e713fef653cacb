"""Logged-in pages under load: `python bench/bench_pages.py [--seconds 10] [--clients 8] [--synth 10000]`.

Builds a fresh SQLite database (and a PostgreSQL one when MUTUALISATION_BENCH_DATABASE_URL is set)
with the demo network plus SYNTH synthetic listings (`mutualisation demo synth`), serves it with
gunicorn (2 workers, as in production), and lets CLIENTS concurrent clients, each logged in as a
demo technician, request one page for SECONDS; then the next page. Prints, per page, the
throughput, p50 and p99 latency and the count of 5xx, plus the machine (cores, load).
Goal: each logged-in page reaches at least 50 % of the throughput of `/login` in the same run.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from machine import cpu_name, load_average, percentile
from sqlalchemy import create_engine, text

EMAIL = "technician@loos-en-gohelle.demo"
PASSWORD = "demo-password"  # noqa: S105 - the demo network's documented password








def server_env(url: str, instance: str) -> dict[str, str]:
    return {
        **os.environ,
        "MUTUALISATION_ENV": "development",
        "MUTUALISATION_DATABASE_URL": url,
        "MUTUALISATION_INSTANCE_PATH": instance,
        "MUTUALISATION_RUN_SCHEDULER_IN_PROCESS": "false",
        "MUTUALISATION_RATELIMIT_ENABLED": "false",
        "MUTUALISATION_LOG_LEVEL": "WARNING",
    }


def cli(env: dict[str, str], *args: str) -> None:
    command = [sys.executable, "-c", "from mutualisation.cli import main; main()", *args]
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"  mutualisation {' '.join(args)}: {time.perf_counter() - started:.1f} s", flush=True)


def build(url: str, env: dict[str, str], synth: int) -> None:
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    cli(env, "init-local")  # migrations, gazetteer, demo network
    cli(env, "demo", "synth", "--offers", str(synth // 2), "--needs", str(synth - synth // 2), "--seed", "7")
    engine = create_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if url.startswith("postgresql") else "ANALYZE"))
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(env: dict[str, str], port: int) -> subprocess.Popen:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "--workers", "2", "--bind", f"127.0.0.1:{port}", "mutualisation.wsgi:app"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=20).close()
            return process
        except OSError:  # not listening yet, or too busy to answer
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("gunicorn did not start")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def logged_in_opener(base: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    page = opener.open(f"{base}/login", timeout=120).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    form = {"email": EMAIL, "password": PASSWORD, **({"csrf_token": token.group(1)} if token else {})}
    try:
        opener.open(f"{base}/login", data=urllib.parse.urlencode(form).encode(), timeout=120)
    except urllib.error.HTTPError as exc:
        if exc.code != 302:
            raise
    return opener


def hammer(openers, url: str, seconds: float) -> tuple[list[float], int, int]:
    """Every client requests `url` in a loop for `seconds`: latencies (ms), requests, 5xx count."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(opener) -> None:
        mine: list[float] = []
        failed = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                with opener.open(url, timeout=60) as response:
                    response.read()
            except urllib.error.HTTPError as exc:
                failed += exc.code >= 500
            except OSError:  # a timeout or a dropped connection counts as a failure, like a 5xx
                failed += 1
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(opener,)) for opener in openers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, len(latencies), errors[0]


def listing_id(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT l.id FROM listings l JOIN users u ON u.id = l.owner_id "
                "WHERE u.email = :email AND l.status = 'published' ORDER BY l.id LIMIT 1"
            ),
            {"email": EMAIL},
        ).scalar_one()
    engine.dispose()
    return int(found)


def run_target(label: str, url: str, args) -> bool:
    print(f"\n{label}", flush=True)
    with tempfile.TemporaryDirectory() as instance:
        env = server_env(url, instance)
        build(url, env, args.synth)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        pages = {
            "/login (anonymous)": "/login",
            "technician dashboard": "/",
            "a listing page": f"/listings/{listing_id(url)}",
            "agreements list": "/agreements",
        }
        server = serve(env, port)
        try:
            return report(base, pages, args)
        finally:
            server.terminate()
            server.wait(timeout=30)


def report(base: str, pages: dict[str, str], args) -> bool:
    anonymous = [urllib.request.build_opener(NoRedirect()) for _ in range(args.clients)]
    members = [logged_in_opener(base) for _ in range(args.clients)]
    print(f"  load average before: {load_average()}")
    header = (
        f"{'page':<24} {'req/s':>7} {'% login':>8} {'p50 ms':>8}"
        + f" {'p99 ms':>8} {'5xx':>5} {'requests':>9}"
    )
    print(f"  {header}")
    login_rate = None
    ok = True
    for name, path in pages.items():
        openers = anonymous if path == "/login" else members
        hammer(openers, base + path, min(2.0, args.seconds))  # warm-up: imports, caches, pools
        latencies, count, errors = hammer(openers, base + path, args.seconds)
        rate = count / args.seconds
        login_rate = login_rate or rate
        share = 100 * rate / login_rate
        ok = ok and errors == 0 and share >= 50
        print(
            f"  {name:<24} {rate:>7.1f} {share:>7.0f}% {statistics.median(latencies):>8.1f}"
            f" {percentile(latencies, 0.99):>8.1f} {errors:>5} {count:>9}",
            flush=True,
        )
    print(f"  load average after: {load_average()}")
    print(f"  goal (every page ≥ 50 % of /login, no 5xx): {'met' if ok else 'NOT met'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per page")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--synth", type=int, default=10_000, help="synthetic listings added to the demo")
    parser.add_argument("--quick", action="store_true", help="3 s per page, 2,000 synthetic listings")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.synth = 3.0, 2_000
    print(f"machine: {platform.platform()} · {cpu_name()} · {os.cpu_count()} logical cores")
    print(f"python {platform.python_version()} · gunicorn 2 workers · {args.clients} clients", end="")
    print(f" · {args.seconds:g} s per page")
    print(f"load average at start: {load_average()}")
    targets = []
    with tempfile.TemporaryDirectory() as tmp:
        targets.append(("SQLite", f"sqlite:///{tmp}/bench.sqlite3"))
        if os.environ.get("MUTUALISATION_BENCH_DATABASE_URL"):
            targets.append(("PostgreSQL", os.environ["MUTUALISATION_BENCH_DATABASE_URL"]))
        results = [run_target(label, url, args) for label, url in targets]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
