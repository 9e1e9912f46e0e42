"""How fast the targets dashboard is at a ward's scale and at the national one.

Fills a database with ``demo --scale`` (skipped when it already holds that scale), then
times counting the figures (what the scheduler does every few minutes) next to the very
aggregate SQL it ran, straight on the driver; and, for the all-wards and the Shibuya
dashboard (which read the stored counts), the median page time next to that aggregate
SQL and next to the page's own SQL alone. The aim: the page at most 1.5 times the
aggregate SQL, and the national page under 300 ms on PostgreSQL.

    .venv/bin/python bench/targets.py --scale national [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import flask_migrate
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inclusion import clock, create_app  # noqa: E402
from inclusion.extensions import db  # noqa: E402
from inclusion.scale import VENUE_PREFIX  # noqa: E402
from inclusion.targets import services  # noqa: E402
from inclusion.venues.models import Venue  # noqa: E402

RUNS = 15
COUNTS = 3
PAGES = ("/targets", "/manage/shibuya/targets")


def median_ms(action, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def statements_of(engine, action) -> list[tuple[str, object]]:
    """The queries ``action`` runs, with their parameters, as the driver received them."""
    statements: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return statements


def run_raw(engine, statements: list[tuple[str, object]]) -> None:
    with engine.connect() as connection:
        for statement, parameters in statements:
            connection.exec_driver_sql(statement, parameters).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=("ward", "national"), default="ward")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    with app.app_context():
        flask_migrate.upgrade()
        filled = db.session.scalar(
            sa.select(Venue.id).where(Venue.name.startswith(VENUE_PREFIX)).limit(1)
        )
        backend = db.engine.dialect.name
    if not filled:
        began = time.perf_counter()
        result = app.test_cli_runner().invoke(args=["demo", "--scale", args.scale])
        assert result.exit_code == 0, result.output
        print(f"filled ({args.scale}) in {time.perf_counter() - began:.0f} s: "
              f"{result.output.splitlines()[-1]}")  # fmt: skip
    with app.app_context():
        year = clock.fiscal_year(clock.today())
        engine = db.engine
        keys = services.snapshot_keys(year)

        def count() -> None:
            services.refresh_figures(keys)

        counting = statements_of(engine, count)
        counted = median_ms(count, COUNTS)
        aggregates = median_ms(lambda: run_raw(engine, counting), COUNTS)
    print(f"counting FY{year} on {backend} ({args.scale}): {counted:.0f} ms, its aggregate SQL "
          f"alone {aggregates:.0f} ms; ratio {counted / aggregates:.2f}")  # fmt: skip
    client = app.test_client()
    client.post("/login", data={"email": "coordinator@example.jp", "password": "inclusion-demo"})
    for path in PAGES:
        statements = statements_of(engine, lambda path=path: client.get(path))
        page = median_ms(lambda path=path: client.get(path))
        own = median_ms(lambda statements=statements: run_raw(engine, statements))
        print(f"{path} on {backend} ({args.scale}): page {page:.1f} ms; aggregate SQL "
              f"{aggregates:.0f} ms (ratio {page / aggregates:.3f}); its own {len(statements)} "
              f"queries alone {own:.1f} ms (ratio {page / own:.1f})")  # fmt: skip


if __name__ == "__main__":
    main()
