"""``make bench-scale-out``: two app groups on one PostgreSQL and one Redis, as two hosts
of the 23 wards' joint deployment would run them.

Each group is a gunicorn master (1 worker x 4 threads) and a scheduler, pinned to a CPU
of its own (``taskset``), as a host would be. It shows:

1. Throughput: the public ward page and the staff session list from one group, then from
   both at once; total requests per second ÷ one group's. The load comes from ``wrk``
   (Debian's ``wrk``: a load generator in C, light enough to leave the CPUs to the groups).
2. Reminders: 800 SMS due, a dispatcher in each group sending to a fake Twilio; one
   group's dispatcher killed (SIGKILL) mid-run, the other's finishing: how many
   reminders reached Twilio twice (the fake counts them by reminder id).
3. Calendar: a coordinator's calendar just changed, asked by 8 clients of each group at
   once: how many times it was built (``inclusion_cache_builds_total`` of both groups).
4. Leader: the leading group's scheduler killed, as a host that dies: seconds until the
   other group's scheduler holds the leader's lease.

On real hosts: run ``gunicorn -c gunicorn.conf.py wsgi:app`` and ``flask --app inclusion
scheduler`` on each, with the same ``DATABASE_URL``, ``CACHE_URL`` (Redis),
``RATELIMIT_STORAGE_URI``, ``SECRET_KEY`` and ``PUBLIC_BASE_URL``; point ``wrk`` at each
host (or at the proxy in front of them) from a machine of its own.

    .venv/bin/python bench/scale_out.py [--postgresql URL] [--redis URL] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from national import AGENT, free_port, logged_in, recreate, wait_until_up  # noqa: E402

from inclusion import create_app  # noqa: E402
from inclusion.auth.models import Role  # noqa: E402
from inclusion.auth.services import create_user  # noqa: E402
from inclusion.calendar.models import FeedKind  # noqa: E402
from inclusion.calendar.services import issue_token  # noqa: E402
from inclusion.extensions import db  # noqa: E402
from inclusion.scheduler.models import SchedulerLease  # noqa: E402
from inclusion.scheduler.services import LEADER  # noqa: E402
from inclusion.sessions.models import Session, SessionStatus  # noqa: E402
from inclusion.wards.services import find_ward  # noqa: E402
from tests.reminders.fake_twilio import FakeTwilio  # noqa: E402
from tests.reminders.test_dispatch_kill import LATER, MOMENT, reminder_ids, seed  # noqa: E402

BIN = Path(sys.executable).parent
DATA = ROOT / ".bench"
METRICS_TOKEN = "bench-metrics"
CALLERS = 8


@dataclass
class Group:
    name: str
    base: str
    web: subprocess.Popen
    scheduler: subprocess.Popen
    environ: dict[str, str]


def pinned(cpus: str, command: list[str]) -> list[str]:
    return ["taskset", "-c", cpus, *command] if shutil.which("taskset") else command


@contextmanager
def group(name: str, url: str, redis_url: str, cpus: str, fake: str) -> Iterator[Group]:
    """A host's worth: gunicorn and a scheduler on ``cpus``, sharing the database and Redis."""
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix=f"inclusion-{name}-"))
    environ = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench",
               "CACHE_URL": redis_url, "RATELIMIT_STORAGE_URI": redis_url,
               "WEB_BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "1", "WEB_MAX_REQUESTS": "0",
               "METRICS_TOKEN": METRICS_TOKEN, "PUBLIC_BASE_URL": "http://bench.example.jp",
               "REMINDER_CHANNEL": "twilio", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
               "TWILIO_AUTH_TOKEN": "token", "TWILIO_SMS_FROM": "+815012345678",
               "TWILIO_VOICE_FROM": "+81312345678", "TWILIO_API_BASE_URL": fake,
               "REMINDER_SMS_PER_SECOND": "0",
               "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics")}  # fmt: skip
    log = (folder / "log").open("wb")
    web = subprocess.Popen(
        pinned(cpus, [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"]),
        cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    scheduler = subprocess.Popen(
        pinned(cpus, [str(BIN / "flask"), "--app", "inclusion", "scheduler"]),
        cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        yield Group(name, base, web, scheduler, environ)
    finally:
        for process in (web, scheduler):
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=60)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def wrk(base: str, path: str, seconds: float, cookie: str = "") -> float:
    """Requests per second ``wrk`` gets from one address with 8 connections."""
    headers = ["-H", f"User-Agent: {AGENT}", "-H", "Accept-Encoding: gzip"]
    if cookie:
        headers += ["-H", f"Cookie: {cookie}"]
    answer = subprocess.run(
        ["wrk", "-t1", "-c8", f"-d{seconds:.0f}s", *headers, f"{base}{path}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    if "Non-2xx" in answer.stdout:
        raise SystemExit(f"{path} answered errors:\n{answer.stdout}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", answer.stdout).group(1))


def throughput(groups: list[Group], seconds: float) -> list[tuple[str, float, float]]:
    """Each page's req/s from the first group alone, then from all at once (summed)."""
    cookies = [logged_in(g.base, "staff.shibuya@example.jp") for g in groups]
    pages = [("public ward page /w/shibuya", "/w/shibuya", False),
             ("staff session list", "/manage/shibuya/sessions", True)]  # fmt: skip
    found = []
    for name, path, staff in pages:
        for g, cookie in zip(groups, cookies, strict=True):  # warm each group's cache
            wrk(g.base, path, 2, cookie if staff else "")
        chosen = [cookie if staff else "" for cookie in cookies]
        alone = wrk(groups[0].base, path, seconds, chosen[0])
        with ThreadPoolExecutor(len(groups)) as pool:
            bases = [g.base for g in groups]
            together = list(pool.map(wrk, bases, [path] * len(bases), [seconds] * len(bases),
                                     chosen))  # fmt: skip
        found.append((name, alone, sum(together)))
        print(f"  {name}: one group {alone:,.0f}/s, both {sum(together):,.0f}/s "
              f"({sum(together) / alone:.2f}×)", flush=True)  # fmt: skip
    return found


def builds(groups: list[Group], kind: str) -> float:
    """How many ``kind`` the groups built, from their /metrics."""
    total = 0.0
    for g in groups:
        text = requests.get(f"{g.base}/metrics", timeout=30,
                            headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text  # fmt: skip
        pattern = rf'^inclusion_cache_builds_total\{{kind="{kind}"\}} ([\d.e+]+)$'
        total += sum(float(value) for value in re.findall(pattern, text, re.MULTILINE))
    return total


def calendar_once(groups: list[Group], url: str) -> tuple[int, float]:
    """A changed calendar asked by ``CALLERS`` clients of each group at once: its builds."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        user = create_user(None, email=f"scale-{time.time_ns()}@example.jp", password=None,
                           display_name="bench", role=Role.COORDINATOR)  # fmt: skip
        raw = issue_token(user, FeedKind.COORDINATOR, {"ward": ["shibuya"]})
        session = db.session.scalar(
            sa.select(Session).where(Session.ward_id == find_ward("shibuya").id,
                                     Session.status == SessionStatus.SCHEDULED).limit(1)
        )  # fmt: skip
        session.title = f"スマホ教室（{time.time_ns()}）"
        db.session.commit()
        db.engine.dispose()
    before = builds(groups, "feed")
    barrier = threading.Barrier(CALLERS * len(groups))
    bodies: list[bytes] = []

    def ask(base: str) -> None:
        barrier.wait()
        bodies.append(requests.get(f"{base}/calendar/c/{raw}.ics", timeout=120).content)

    threads = [
        threading.Thread(target=ask, args=(g.base,)) for g in groups for _ in range(CALLERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(bodies)) == 1 and b"BEGIN:VEVENT" in bodies[0], "the calendars differ"
    return len(bodies), builds(groups, "feed") - before


def reminders_once(server: str, groups: list[Group], fake: FakeTwilio) -> tuple[int, int, dict]:
    """800 SMS due; a dispatcher per group; the first group's killed mid-run. Returns the
    reminders Twilio got, those it got twice, and the rows' statuses at the end."""
    url = sa.make_url(server).set(database="inclusion_bench_reminders").render_as_string(False)
    recreate("postgresql", url)
    subprocess.run([str(BIN / "flask"), "--app", "inclusion", "db", "upgrade"], cwd=ROOT,
                   env={**groups[0].environ, "DATABASE_URL": url}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    seed(url)
    command = [str(BIN / "flask"), "--app", "inclusion", "reminders", "dispatch", "--now"]
    senders = [
        subprocess.Popen([*command, MOMENT.isoformat()], cwd=ROOT,
                         env={**g.environ, "DATABASE_URL": url},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for g in groups
    ]  # fmt: skip
    deadline = time.monotonic() + 60
    while len(fake.posted) < 50 and time.monotonic() < deadline:
        time.sleep(0.05)
    senders[0].send_signal(signal.SIGKILL)  # a host dies while sending
    senders[0].wait(timeout=30)
    time.sleep(3)
    senders[1].send_signal(signal.SIGTERM)
    senders[1].wait(timeout=60)
    # What the killed one had claimed waits out its lease, then shows as unknown.
    subprocess.run([*command, LATER.isoformat(), "--once"], cwd=ROOT,
                   env={**groups[1].environ, "DATABASE_URL": url}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    sent = reminder_ids(fake)
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as connection:
        statuses = dict(connection.execute(sa.text(
            "SELECT status, count(*) FROM reminders GROUP BY status")).all())  # fmt: skip
    engine.dispose()
    twice = sum(1 for count in Counter(sent).values() if count > 1)
    return len(set(sent)), twice, statuses


def leader_moves(url: str, groups: list[Group]) -> float:
    """Kill the leading group's scheduler: seconds until another scheduler leads."""
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))

    def holder() -> str:
        with engine.connect() as connection:
            lease = connection.execute(
                sa.select(SchedulerLease.holder, SchedulerLease.until_dt)
                .where(SchedulerLease.name == LEADER)
            ).one()  # fmt: skip
        return lease.holder

    deadline = time.monotonic() + 60
    while not holder().endswith(tuple(f":{g.scheduler.pid}" for g in groups)):
        if time.monotonic() > deadline:
            raise SystemExit("no scheduler took the lead")
        time.sleep(0.5)
    leading = next(g for g in groups if holder().endswith(f":{g.scheduler.pid}"))
    leading.scheduler.send_signal(signal.SIGKILL)
    leading.scheduler.wait(timeout=30)
    began = time.monotonic()
    while holder().endswith(f":{leading.scheduler.pid}"):
        if time.monotonic() - began > 180:
            raise SystemExit("the lead never moved")
        time.sleep(0.5)
    engine.dispose()
    return time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))  # fmt: skip
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    redis.Redis.from_url(args.redis).flushdb()
    url = sa.make_url(args.postgresql).set(database="inclusion_bench_ward")
    url = url.render_as_string(hide_password=False)
    DATA.mkdir(exist_ok=True)
    built = DATA / "postgresql-ward.built"
    if not built.exists():
        print("PostgreSQL: building the ward data (once)…", flush=True)
        recreate("postgresql", url)
        for step in (["db", "upgrade"], ["demo", "--scale", "ward"]):
            subprocess.run([str(BIN / "flask"), "--app", "inclusion", *step], cwd=ROOT,
                           env={**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench"},
                           check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        built.write_text("built\n")
    subprocess.run([str(BIN / "flask"), "--app", "inclusion", "db", "upgrade"], cwd=ROOT,
                   env={**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench"},
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    cpus = ("0", "1") if (os.cpu_count() or 1) >= 2 else ("0", "0")
    with FakeTwilio() as fake:
        with group("a", url, args.redis, cpus[0], fake.url) as a, \
                group("b", url, args.redis, cpus[1], fake.url) as b:  # fmt: skip
            groups = [a, b]
            print(f"Two groups (CPUs {', '.join(cpus)}), {args.seconds:.0f} s per run:")
            pages = throughput(groups, args.seconds)
            asked, built_times = calendar_once(groups, url)
            print(f"  a changed calendar asked {asked} times at once: built "
                  f"{built_times:.0f} time(s)", flush=True)  # fmt: skip
            reached, twice, statuses = reminders_once(args.postgresql, groups, fake)
            print(f"  reminders: {reached} reached Twilio, {twice} twice; rows {statuses}",
                  flush=True)  # fmt: skip
            moved = leader_moves(url, groups)
            print(f"  the leader's scheduler killed: another led {moved:.0f} s later",
                  flush=True)  # fmt: skip
    print("\n| scale-out goal | bound | measured |\n| --- | --- | --- |")
    for name, alone, both in pages:
        ratio = both / alone
        print(
            f"| {name}: both groups ÷ one | ≥ 1.7 | {ratio:.2f} {'✓' if ratio >= 1.7 else '✗'} |"
        )
    print(
        f"| reminders sent twice, a dispatcher killed | 0 | {twice} {'✓' if twice == 0 else '✗'} |"
    )
    print(f"| builds of one changed calendar asked at once on both hosts | 1 | "
          f"{built_times:.0f} {'✓' if built_times == 1 else '✗'} |")  # fmt: skip
    print(f"| seconds until another scheduler leads | ≤ 60 | {moved:.0f} "
          f"{'✓' if moved <= 60 else '✗'} |")  # fmt: skip


if __name__ == "__main__":
    main()
