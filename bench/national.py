"""``make bench``: the key pages at national scale under load, on SQLite and PostgreSQL,
each next to a bare "hello" answered by the same server in the same run.

1. Data: ``demo --scale national`` (500,000 sessions, about 5,000,000 bookings) once per
   database, kept between runs — ``.bench/national.sqlite3`` and the PostgreSQL database
   ``inclusion_bench_national`` on ``--postgresql`` — and upgraded to the newest schema
   before each run. A build that did not finish is started again from empty.
2. Server: gunicorn with ``gunicorn.conf.py`` (2 workers x 4 threads, workers not
   recycled during the run) serving ``bench/wsgi.py``: the app, and Flask's hello at
   ``/hello`` in the same workers.
3. Load: ``bench/load.py`` in its own process and virtualenv (Locust): 8 users asking
   again as soon as they are answered, each request on a new connection, a warm-up,
   then 10 s per page. Median, p95, requests per second, and the median's ratio to
   hello's.
4. Each worker's peak memory (VmHWM), then the reminder and calendar benchmarks
   (``bench/reminders.py``, ``bench/calendar_feeds.py``) on each database.

    .venv/bin/python bench/national.py [--databases sqlite,postgresql] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inclusion import clock, create_app  # noqa: E402
from inclusion.auth.models import Role, User  # noqa: E402
from inclusion.auth.services import create_user  # noqa: E402
from inclusion.calendar import feeds  # noqa: E402
from inclusion.calendar.models import FeedKind  # noqa: E402
from inclusion.calendar.services import issue_token  # noqa: E402
from inclusion.cli import DEMO_PASSWORD  # noqa: E402
from inclusion.extensions import db  # noqa: E402
from inclusion.sessions.models import Session, SessionStatus  # noqa: E402
from inclusion.wards.services import find_ward  # noqa: E402

DATA = ROOT / ".bench"
BIN = Path(sys.executable).parent
SCRATCH_DB = "inclusion_bench_scratch"
FEED_EVENTS = 10_000
LONGEST = timedelta(days=feeds.MAX_SPAN_DAYS - 1)
#: The same browser for the log-in and the load: sessions are bound to it.
AGENT = "inclusion-bench"
LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def run(command: list[str], url: str, **kwargs) -> subprocess.CompletedProcess:
    environ = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench"}
    return subprocess.run(command, cwd=ROOT, env=environ, check=True, **kwargs)


def flask(url: str, *args: str) -> None:
    run([str(BIN / "flask"), "--app", "inclusion", *args], url, stdout=subprocess.DEVNULL)


def data_url(backend: str, server: str, scale: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{DATA / f'{scale}.sqlite3'}"
    database = f"inclusion_bench_{scale}"
    return sa.make_url(server).set(database=database).render_as_string(hide_password=False)


def recreate(backend: str, url: str) -> None:
    """An empty database at ``url``."""
    if backend == "sqlite":
        database = Path(sa.make_url(url).database)
        for leftover in database.parent.glob(f"{database.name}*"):
            leftover.unlink()
        return
    name = sa.make_url(url).database
    admin = sa.create_engine(
        sa.make_url(url).set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()


def prepare(backend: str, url: str, scale: str) -> None:
    """The dataset of ``scale`` at ``url``: built once, then only migrated."""
    built = DATA / f"{backend}-{scale}.built"
    if built.exists():
        flask(url, "db", "upgrade")
        print(f"{LABELS[backend]}: {scale} data of {built.read_text().strip()}", flush=True)
        return
    print(f"{LABELS[backend]}: building the {scale} data (minutes, once)…", flush=True)
    began = time.perf_counter()
    try:
        recreate(backend, url)
    except sa.exc.OperationalError as error:
        raise SystemExit(
            f"PostgreSQL does not answer at {sa.make_url(url).set(database='postgres')}: "
            f"{error.orig}\nStart it, give --postgresql URL, or --databases sqlite."
        ) from None
    flask(url, "db", "upgrade")
    flask(url, "demo", "--scale", scale)
    built.write_text(f"{date.today()}, built in {time.perf_counter() - began:.0f} s\n")
    print(f"  built in {time.perf_counter() - began:.0f} s", flush=True)


def feed_range(url: str) -> tuple[str, str, int]:
    """Dates between which Shibuya's public feed holds ``FEED_EVENTS`` events (or all the
    longest feed holds, at a smaller scale)."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        ward = find_ward("shibuya")
        starts = db.session.scalar(
            sa.select(sa.func.min(Session.starts_dt)).where(Session.ward_id == ward.id)
        )
        first = clock.to_local(starts).date()
        last = first + timedelta(days=FEED_EVENTS // 40)
        while True:
            feed = feeds.Feed(
                uid="bench",
                name="bench",
                filter=feeds.FeedFilter(ward_ids=(ward.id,)),
                range=feeds.FeedRange(first, last),
            )
            events = sum(1 for _row in feeds.feed_rows(feed, clock.now()))
            if events >= FEED_EVENTS or last - first >= LONGEST:
                break
            last = min(
                first + LONGEST, last + timedelta(days=max(1, (FEED_EVENTS - events) // 40))
            )
        db.engine.dispose()
    return first.isoformat(), last.isoformat(), events


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(base: str) -> None:
    """Until the server at ``base`` answers /healthz (a minute at most)."""
    for _ in range(600):
        try:
            if requests.get(f"{base}/healthz", timeout=5).ok:
                return
        except requests.ConnectionError:  # still starting
            time.sleep(0.1)


@contextmanager
def gunicorn(url: str) -> Iterator[tuple[str, int]]:
    """The bench server on ``url``; yields its base URL and the master's pid."""
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="inclusion-bench-"))
    environ = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench",
               "WEB_BIND": f"127.0.0.1:{port}", "WEB_MAX_REQUESTS": "0",
               "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics")}  # fmt: skip
    with (folder / "gunicorn.log").open("wb") as log:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "bench.wsgi:app"],
            cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base)
            yield base, server.pid
        finally:
            server.terminate()
            server.wait(timeout=60)
            shutil.rmtree(folder, ignore_errors=True)


def logged_in(base: str, email: str) -> str:
    """The session cookie of a demo account, as a ``Cookie`` header."""
    browser = requests.Session()
    browser.headers["User-Agent"] = AGENT
    form = browser.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    answer = browser.post(
        f"{base}/login",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, f"{email} could not log in: {answer.status_code}"
    return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def targets(base: str, feed: str, events: int) -> list[dict]:
    """Each key page, as the person who uses it, and what it must answer."""
    staff = logged_in(base, "staff.shibuya@example.jp")
    volunteer = logged_in(base, "volunteer1@example.jp")
    coordinator = logged_in(base, "coordinator@example.jp")
    etag = requests.get(f"{base}{feed}", timeout=120).headers["ETag"]
    pages = [
        ("hello (bare Flask, same workers)", "/hello/", None, {}),
        ("public ward page /w/shibuya", "/w/shibuya", None, {}),
        ("staff session list", "/manage/shibuya/sessions", staff, {}),
        ("volunteer open shifts /shifts", "/shifts", volunteer, {}),
        ("resident search ?q=ケンショウ1", "/manage/shibuya/residents?q=ケンショウ1", staff, {}),
        ("targets dashboard /targets", "/targets", coordinator, {}),
        (f"ward feed, {events:,} events", feed, None, {}),
        ("ward feed, 304", feed, None, {"If-None-Match": etag}),
    ]
    plan = []
    for name, path, cookie, headers in pages:
        # A new connection per request: kept-alive, the 8 would fall unevenly on the two
        # workers, differently each run.
        headers = {"User-Agent": AGENT, "Connection": "close", **headers,
                   **({"Cookie": cookie} if cookie else {})}  # fmt: skip
        answer = requests.get(f"{base}{path}", headers=headers, timeout=120)
        plan.append({"name": name, "path": path, "headers": headers,
                     "status": answer.status_code})  # fmt: skip
        if answer.status_code not in (200, 304):
            raise SystemExit(f"{path} answered {answer.status_code}")
    return plan


def worker_peaks(master: int) -> list[int]:
    """Each gunicorn worker's peak resident memory, in MiB."""
    peaks = []
    for pid in workers_of(master):
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) // 1024)
    return peaks


def workers_of(master: int) -> list[str]:
    return Path(f"/proc/{master}/task/{master}/children").read_text().split()


def reset_peaks(master: int) -> None:
    """Start each worker's peak memory (VmHWM) again from what it holds now."""
    for pid in workers_of(master):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def load_each(base: str, master: int, targets: list[dict], users: int, args) -> list[dict]:
    """``load`` one target at a time, each result with the highest peak memory of a worker
    while it ran (``peak_mib``): the peaks are reset before each (``clear_refs``)."""
    results = []
    for target in targets:
        reset_peaks(master)
        [result] = load(base, [target], users, args)
        result["peak_mib"] = max(worker_peaks(master))
        results.append(result)
    return results


def load(base: str, targets: list[dict], users: int, args) -> list[dict]:
    """Run ``bench/load.py`` on ``targets`` with ``users`` and return its results."""
    plan = {"base": base, "users": users, "seconds": args.seconds, "warmup": args.warmup,
            "targets": targets}  # fmt: skip
    answer = subprocess.run(
        [args.load_python, str(ROOT / "bench" / "load.py")],
        input=json.dumps(plan), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if answer.returncode:
        raise SystemExit(f"the load process failed:\n{answer.stderr[-3000:]}")
    return [json.loads(line) for line in answer.stdout.splitlines() if line.strip()]


@contextmanager
def changing_every_second(url: str) -> Iterator[list[int]]:
    """Shibuya's next session renamed once a second, as staff at work would: every change
    invalidates the cached ward page. Yields the count of changes made so far."""
    stop, made = threading.Event(), [0]

    def change() -> None:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
        with app.app_context():
            ward = find_ward("shibuya")
            session_id = db.session.scalar(
                sa.select(Session.id)
                .where(Session.ward_id == ward.id, Session.status == SessionStatus.SCHEDULED,
                       Session.starts_dt > clock.now() + timedelta(hours=1))
                .order_by(Session.starts_dt).limit(1)
            )  # fmt: skip
            while not stop.wait(1.0):
                made[0] += 1
                db.session.get(Session, session_id).title = f"スマホ教室（変更 {made[0]}）"
                db.session.commit()
            db.engine.dispose()

    writer = threading.Thread(target=change)
    writer.start()
    try:
        yield made
    finally:
        stop.set()
        writer.join()


#: Coordinator calendars timed cold (just changed, so neither cached nor 304): about this
#: many events each, and how many timings of each.
COLD_FEEDS = {1_000: 15, 10_000: 5}


def cold_feed_plans(url: str) -> list[dict]:
    """A coordinator calendar of about 1,000 and one of about 10,000 events (venues taken in
    order until the count is reached), each with a session of its own to change."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    plans = []
    with app.app_context():
        span = feeds.default_range()
        per_venue = db.session.execute(
            sa.select(Session.venue_id, sa.func.count())
            .where(Session.starts_dt < span.end_dt, Session.ends_dt > span.start_dt,
                   Session.status != SessionStatus.CANCELLED)
            .group_by(Session.venue_id).order_by(Session.venue_id)
        ).all()  # fmt: skip
        for wanted in COLD_FEEDS:
            chosen, total = [], 0
            for venue_id, count in per_venue:
                chosen.append(venue_id)
                total += count
                if total >= wanted:
                    break
            email = f"bench-calendar-{wanted}@example.jp"
            user = db.session.scalar(sa.select(User).where(User.email == email)) or create_user(
                None, email=email, password=None, display_name=email, role=Role.COORDINATOR
            )
            raw = issue_token(user, FeedKind.COORDINATOR, {"venue": [str(v) for v in chosen]})
            session_id = db.session.scalar(
                sa.select(Session.id)
                .where(Session.venue_id == chosen[0], Session.starts_dt > span.start_dt,
                       Session.starts_dt < span.end_dt)
                .limit(1)
            )  # fmt: skip
            db.session.commit()
            plans.append({"wanted": wanted, "path": f"/calendar/c/{raw}.ics",
                          "session_id": session_id})  # fmt: skip
        db.engine.dispose()
    return plans


def one_request_ms(url: str) -> tuple[float, bytes]:
    began = time.perf_counter()
    answer = requests.get(url, headers={"User-Agent": AGENT, "Connection": "close"}, timeout=300)
    elapsed = (time.perf_counter() - began) * 1000
    if answer.status_code != 200:
        raise SystemExit(f"{url} answered {answer.status_code}")
    return elapsed, answer.content


def time_cold_feeds(base: str, url: str, plans: list[dict]) -> tuple[float, list[dict]]:
    """One request at a time: hello's median, then each calendar just after a change to
    one of its sessions (a new ETag: built again, by this worker or another)."""
    hello = statistics.median(one_request_ms(f"{base}/hello/")[0] for _ in range(50))
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    results = []
    with app.app_context():
        for plan in plans:
            times = []
            for run in range(COLD_FEEDS[plan["wanted"]]):
                db.session.get(Session, plan["session_id"]).title = f"スマホ教室（計測 {run}）"
                db.session.commit()
                elapsed, body = one_request_ms(f"{base}{plan['path']}")
                times.append(elapsed)
            results.append({"events": body.count(b"BEGIN:VEVENT"), "bytes": len(body),
                            "median_ms": statistics.median(times)})  # fmt: skip
        db.engine.dispose()
    return hello, results


#: The pages whose tail is watched under 50 clients.
TAIL_PAGES = 7


def measure(backend: str, url: str, args) -> dict:
    first, last, events = feed_range(url)
    feed = f"/w/shibuya/calendar.ics?from={first}&to={last}"
    plans = cold_feed_plans(url)
    with gunicorn(url) as (base, master):
        plan = targets(base, feed, events)
        peaks_before = worker_peaks(master)  # the log-ins and first builds
        results = load_each(base, master, plan, args.users, args)
        with changing_every_second(url) as made:
            [changing] = load_each(base, master, [plan[1]], args.users, args)
        changing["name"] = f"public ward page, a session changed every second ({made[0]} changes)"
        tail = load_each(base, master, plan[1 : TAIL_PAGES + 1], 50, args)
        reset_peaks(master)
        hello_ms, cold = time_cold_feeds(base, url, plans)
        cold_peak = max(worker_peaks(master))
        peaks = [max(peaks_before), cold_peak,
                 *(r["peak_mib"] for r in [*results, changing, *tail])]  # fmt: skip
    for result in [*results, changing]:
        print(f"  {LABELS[backend]} {result['name']}: median {result['median_ms']:.1f} ms, "
              f"p95 {result['p95_ms']:.1f} ms, {result['rps']:.0f}/s, {result['requests']:,} "
              f"requests, {result['failures']} failed, worker peak {result['peak_mib']} MiB",
              flush=True)  # fmt: skip
        if result["failures"]:
            print(f"    failures, for example: {result['failure_sample']}")
    for result in tail:
        print(f"  {LABELS[backend]} 50 clients, {result['name']}: median "
              f"{result['median_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
              f"{result['failures']} failed, worker peak {result['peak_mib']} MiB",
              flush=True)  # fmt: skip
    for result in cold:
        print(f"  {LABELS[backend]} cold calendar of {result['events']:,} events "
              f"({result['bytes'] / 1e6:.1f} MB): {result['median_ms']:.0f} ms, hello "
              f"{hello_ms:.2f} ms", flush=True)  # fmt: skip
    print(
        f"  {LABELS[backend]} worker peak while the log-ins and first builds ran: "
        f"{max(peaks_before)} MiB; while the cold calendars were built: {cold_peak} MiB"
    )
    return {"results": results, "changing": changing, "tail": tail, "hello_ms": hello_ms,
            "cold": cold, "peaks": peaks, "events": events}  # fmt: skip


def table(measured: dict[str, dict]) -> str:
    """Every page's median (and its ratio to hello's), p95 and requests per second."""
    backends = list(measured)
    header = "| page | " + " | ".join(
        f"{LABELS[b]} median ms (× hello) | p95 ms | req/s (× hello) | peak MiB" for b in backends
    )
    lines = [header + " |", "| --- |" + " --- | --- | --- | --- |" * len(backends)]
    rows = [[*measured[b]["results"], measured[b]["changing"]] for b in backends]
    for index in range(len(rows[0])):
        cells = []
        for results in rows:
            hello, result = results[0], results[index]
            times = result["median_ms"] / hello["median_ms"] if hello["median_ms"] else 0
            share = result["rps"] / hello["rps"] if hello["rps"] else 0
            failed = f", {result['failures']} failed" if result["failures"] else ""
            cells.append(f"{result['median_ms']:.1f} ({times:.1f}) | {result['p95_ms']:.1f} | "
                         f"{result['rps']:,.0f} ({share:.2f}){failed} | "
                         f"{result['peak_mib']}")  # fmt: skip
        lines.append(f"| {rows[0][index]['name']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _rps_share(found: dict, name_starts: str) -> float:
    results = [*found["results"], found["changing"]]
    [result] = [r for r in results if r["name"].startswith(name_starts)]
    return result["rps"] / results[0]["rps"]


def _cold(found: dict, index: int) -> float:
    return found["cold"][index]["median_ms"] / found["hello_ms"]


#: Each goal: what is measured, how it is read from a run, and the bound it must keep.
GOALS = [
    ("public ward page req/s ÷ hello req/s, warm", lambda f: _rps_share(f, "public ward page /"),
     ">=", 0.5),
    ("public ward page, a session changed every second, ÷ hello",
     lambda f: _rps_share(f, "public ward page, a session"), ">=", 0.2),
    ("staff session list req/s ÷ hello", lambda f: _rps_share(f, "staff session list"),
     ">=", 0.25),
    ("volunteer open shifts /shifts req/s ÷ hello", lambda f: _rps_share(f, "volunteer open"),
     ">=", 0.25),
    ("cold coordinator calendar, ~1,000 events, time ÷ hello time", lambda f: _cold(f, 0),
     "<=", 40),
    ("cold coordinator calendar, ~10,000 events, time ÷ hello time", lambda f: _cold(f, 1),
     "<=", 300),
    ("reminder SMS/s through twilio ÷ bare HTTP", lambda f: f.get("sends"), ">=", 0.85),
    ("peak memory of one web worker (VmHWM), MiB", lambda f: max(f["peaks"]), "<=", 150),
    ("p99 ÷ median, worst key page under 50 clients",
     lambda f: max(r["p99_ms"] / r["median_ms"] for r in f["tail"]), "<=", 10),
]  # fmt: skip


def goals(measured: dict[str, dict]) -> str:
    """The goals of issue #22, each with the figure of every database and ✓ or ✗."""
    backends = list(measured)
    lines = ["| goal | bound | " + " | ".join(LABELS[b] for b in backends) + " |",
             "| --- | --- |" + " --- |" * len(backends)]  # fmt: skip
    for name, read, sense, bound in GOALS:
        cells = []
        for backend in backends:
            value = read(measured[backend])
            if value is None:
                cells.append("not run")
                continue
            kept = value >= bound if sense == ">=" else value <= bound
            cells.append(f"{value:,.2f} {'✓' if kept else '✗'}")
        lines.append(f"| {name} | {'≥' if sense == '>=' else '≤'} {bound} | "
                     + " | ".join(cells) + " |")  # fmt: skip
    return "\n".join(lines)


def earlier_benchmarks(backend: str, server: str) -> float | None:
    """The reminder and calendar benchmarks, each on a database of its own; returns the
    twilio client's sends per second as a share of bare HTTP posts' at the same concurrency."""
    share = None
    for script in ("reminders.py", "calendar_feeds.py"):
        command = [sys.executable, str(ROOT / "bench" / script)]
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
        if backend == "postgresql":
            url = sa.make_url(server).set(database=SCRATCH_DB).render_as_string(False)
            recreate(backend, url)
            command += ["--database-url", url]
        output = run(command, url, capture_output=True, text=True).stdout
        for line in output.splitlines():
            if line.startswith(("plan:", "dispatch:", "build:", "304")):
                print(f"  {LABELS[backend]} {script}: {line}", flush=True)
            if line.startswith("dispatch:"):
                share = float(line.rsplit("ratio", 1)[1])
    return share


def machine() -> str:
    memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    model = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    return (f"{os.cpu_count()} cores ({model.group(1) if model else platform.machine()}), "
            f"{memory / 1024 / 1024:.0f} GiB, Python {platform.python_version()}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--scale", choices=("national", "ward"), default="national",
                        help="ward: a quick run on one ward's worth of data")  # fmt: skip
    parser.add_argument("--postgresql", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))  # fmt: skip
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--load-python", default=str(DATA / "load-venv" / "bin" / "python"))
    parser.add_argument("--pages-only", action="store_true",
                        help="skip the reminder and calendar benchmarks")  # fmt: skip
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    backends = [name.strip() for name in args.databases.split(",") if name.strip()]
    print(f"machine: {machine()}", flush=True)
    measured = {}
    for backend in backends:
        url = data_url(backend, args.postgresql, args.scale)
        prepare(backend, url, args.scale)
        measured[backend] = measure(backend, url, args)
        print(f"  {LABELS[backend]}: the feed held {measured[backend]['events']:,} events; "
              f"peak memory per worker {measured[backend]['peaks']} MiB", flush=True)  # fmt: skip
    if not args.pages_only:
        print("\nReminder and calendar benchmarks:", flush=True)
        for backend in backends:
            measured[backend]["sends"] = earlier_benchmarks(backend, args.postgresql)
    print(
        f"\nPages at {args.scale} scale, gunicorn 2 workers x 4 threads, {args.users} users "
        f"without pause, {args.seconds:.0f} s each after {args.warmup:.0f} s warm-up:\n"
    )
    print(table(measured), flush=True)
    print(f"\nGoals ({args.scale} scale):\n")
    print(goals(measured), flush=True)


if __name__ == "__main__":
    main()
