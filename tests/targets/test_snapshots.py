"""The dashboard reads stored snapshots: counted when missing, again on schedule or on
demand, the later count winning, and never seen half-written."""

import re
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.db import begin_as
from inclusion.extensions import db
from inclusion.scheduler.jobs import build_scheduler, declared_jobs
from inclusion.sessions.models import SessionKind
from inclusion.targets import services
from inclusion.targets.models import FigureCell, FigureSnapshot, Metric, Target
from inclusion.wards.services import find_ward
from tests import factories
from tests.conftest import log_in, own_database_app
from tests.targets.test_dashboard import text_of


@pytest.fixture
def this_year(app):
    return clock.fiscal_year(clock.today())


def consultation(venue, day: date):
    return factories.make_session(venue, starts_dt=clock.to_utc(day, time(10)),
                                  kind=SessionKind.CONSULTATION, slot_minutes=30)  # fmt: skip


def consultations_shown(client, path: str = "/targets") -> str:
    """The consultations held, as the dashboard shows them after the metric's definition."""
    return re.search(r"講座とサロンは数えません。 ([\d,]+)", text_of(client.get(path)))[1]


def test_the_first_view_counts_and_stores_then_later_views_read_the_snapshot(
    client, users, shibuya, this_year
):
    venue = factories.make_venue(shibuya)
    consultation(venue, date(this_year, 4, 3))
    db.session.commit()
    log_in(client, users["coordinator"])
    assert consultations_shown(client) == "1"
    stored = db.session.scalar(
        sa.select(FigureSnapshot).where(
            FigureSnapshot.metric == Metric.CONSULTATIONS_HELD,
            FigureSnapshot.first_year == this_year,
        )
    )
    assert stored is not None and stored.computed_dt <= clock.now()
    consultation(venue, date(this_year, 4, 4))
    db.session.commit()
    text = text_of(client.get("/targets"))
    assert "講座とサロンは数えません。 1" in text  # as counted, until counted again
    counted = clock.to_local(stored.computed_dt)
    shown = f"{counted.year}年{counted.month}月{counted.day}日"
    assert f"集計時刻 {shown}" in text and "10分ごとに" in text
    printed = text_of(client.get("/targets/print"))
    assert f"{counted.month}月{counted.day}日" in printed and "時点" in printed


def test_count_again_now_recounts_once_a_minute_at_most(client, users, shibuya, this_year):
    venue = factories.make_venue(shibuya)
    consultation(venue, date(this_year, 4, 3))
    db.session.commit()
    log_in(client, users["ward_staff"])
    assert consultations_shown(client, "/manage/shibuya/targets") == "1"
    consultation(venue, date(this_year, 4, 4))
    db.session.commit()
    # Counted at the first view, under a minute ago: a double click does nothing.
    page = client.post(f"/manage/shibuya/targets/recount?year={this_year}", follow_redirects=True)
    assert "1分以内に集計したばかりです" in text_of(page)
    db.session.execute(
        sa.update(FigureSnapshot).values(computed_dt=clock.now() - timedelta(minutes=2))
    )
    db.session.commit()
    page = client.post(f"/manage/shibuya/targets/recount?year={this_year}", follow_redirects=True)
    assert "集計し直しました" in text_of(page)
    assert consultations_shown(client, "/manage/shibuya/targets") == "2"
    assert client.post("/manage/shinagawa/targets/recount").status_code == 403
    assert client.post("/targets/recount").status_code == 403


def test_the_ward_page_reads_only_its_own_cells(client, users, shibuya, shinagawa, this_year,
                                                count_queries):  # fmt: skip
    consultation(factories.make_venue(shibuya), date(this_year, 4, 3))
    for day in (3, 4, 5):
        consultation(factories.make_venue(shinagawa), date(this_year, 4, day))
    services.refresh_figures(services.snapshot_keys(this_year))
    log_in(client, users["ward_staff"])
    with count_queries() as statements:
        assert consultations_shown(client, "/manage/shibuya/targets") == "1"
    cells = [statement for statement in statements if "figure_cells" in statement]
    assert len(cells) == 1 and "figure_cells.ward_id =" in cells[0]


def test_cells_are_read_once_per_count(client, users, shibuya, this_year, count_queries):
    venue = factories.make_venue(shibuya)
    consultation(venue, date(this_year, 4, 3))
    services.refresh_figures(services.snapshot_keys(this_year))
    log_in(client, users["ward_staff"])

    def cell_reads(expected: str) -> int:
        with count_queries() as statements:
            assert consultations_shown(client, "/manage/shibuya/targets") == expected
        return sum("figure_cells" in statement for statement in statements)

    assert cell_reads("1") == 1
    assert cell_reads("1") == 0  # unchanged since: the cells this process read
    consultation(venue, date(this_year, 4, 4))
    services.refresh_figures(services.snapshot_keys(this_year))
    assert cell_reads("2") == 1


def test_the_scheduled_count_redoes_only_what_has_aged(app, shibuya, this_year):
    venue = factories.make_venue(shibuya)
    consultation(venue, date(this_year, 4, 3))
    now = clock.now()
    keys = services.snapshot_keys(this_year)
    assert services.refresh_due(now) == len(keys)
    assert services.refresh_due(now + timedelta(minutes=9)) == 0
    consultation(venue, date(this_year, 4, 4))
    assert services.refresh_due(now + timedelta(minutes=11)) == len(keys)
    figures = services.stored_figures(keys)[(Metric.CONSULTATIONS_HELD, this_year, this_year)]
    assert figures.value() == 2 and figures.counted_dt == now + timedelta(minutes=11)


@pytest.mark.parametrize(
    ("when", "years"),
    [
        (datetime(2027, 5, 10, 3, tzinfo=UTC), {2027, 2026}),  # late March entries in May
        (datetime(2027, 7, 1, 3, tzinfo=UTC), {2027}),
        (datetime(2027, 3, 31, 14, 30, tzinfo=UTC), {2026}),  # 31 March, 23:30 JST
        (datetime(2027, 3, 31, 15, 10, tzinfo=UTC), {2027, 2026}),  # 1 April, 00:10 JST
    ],
)
def test_last_year_is_counted_again_until_june(app, when, years):
    services.refresh_due(when)
    counted = set(db.session.scalars(sa.select(FigureSnapshot.first_year).distinct()))
    assert counted == years


def test_a_later_count_is_never_overwritten_by_an_earlier_one(app, shibuya, this_year):
    consultation(factories.make_venue(shibuya), date(this_year, 4, 3))
    key = (Metric.CONSULTATIONS_HELD, this_year, this_year)
    later = clock.now()
    assert services.refresh_figures({key}, later) == 1
    assert services.refresh_figures({key}, later - timedelta(seconds=30)) == 0
    figures = services.stored_figures({key})[key]
    assert figures.counted_dt == later and figures.value() == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FigureCell)) == 1


def test_a_three_year_target_is_counted_over_its_years(client, users, shibuya, this_year):
    factories.make_volunteer(shibuya, completed_on=date(this_year, 5, 1))
    factories.make_volunteer(shibuya, completed_on=date(this_year + 1, 5, 1))
    db.session.add(Target(metric=Metric.VOLUNTEERS_TRAINED, first_year=this_year,
                          last_year=this_year + 2, value=2000))  # fmt: skip
    db.session.commit()
    assert (Metric.VOLUNTEERS_TRAINED, this_year, this_year + 2) in services.snapshot_keys(
        this_year + 1
    )
    log_in(client, users["coordinator"])
    text = text_of(client.get(f"/targets?year={this_year + 1}"))
    assert f"何講座受けても1人と数えます。 2 / 目標 2,000 ({this_year}–{this_year + 2})" in text


def test_the_scheduler_counts_the_figures_by_a_stable_id(app):
    job = build_scheduler(app, declared_jobs()).get_job("targets.refresh")
    assert job.max_instances == 1 and job.coalesce and job.misfire_grace_time == 50


def test_the_refresh_command(app, shibuya, this_year):
    consultation(factories.make_venue(shibuya), date(this_year, 4, 3))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["targets", "refresh", "--year", str(this_year)])
    assert result.exit_code == 0, result.output
    assert f"{len(services.snapshot_keys(this_year))} figure(s) counted" in result.output
    assert runner.invoke(args=["targets", "refresh"]).output.startswith("0 figure(s)")
    refused = runner.invoke(args=["targets", "refresh", "--year", "soon"])
    assert refused.exit_code == 2 and "Traceback" not in refused.output


COUNTERS = 4
READERS = 4
ROUNDS = 5


@pytest.fixture(scope="module")
def busy_app(backend, tmp_path_factory):
    """Its own database with committed sessions: each thread has its own connection."""
    with own_database_app(
        backend, tmp_path_factory, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": COUNTERS + READERS + 2}
    ) as app:
        with app.app_context():
            year = clock.fiscal_year(clock.today())
            for slug, count in (("shibuya", 3), ("shinagawa", 2)):
                venue = factories.make_venue(find_ward(slug))
                for day in range(count):
                    consultation(venue, date(year, 4, 1) + timedelta(days=day))
            db.session.commit()
            app.config["busy_year"] = year
        yield app


@pytest.mark.xdist_group("heavy")  # many connections at once: PostgreSQL takes 100
def test_counters_and_readers_at_once_store_one_snapshot_never_seen_half_written(busy_app):
    year = busy_app.config["busy_year"]
    key = (Metric.CONSULTATIONS_HELD, year, year)
    barrier = threading.Barrier(COUNTERS + READERS)
    errors: list[str] = []
    seen: list[float | None] = []
    counted = threading.Event()
    moments: list[datetime] = []

    def count(offset: int) -> None:
        with busy_app.app_context():
            barrier.wait(timeout=30)
            try:
                for round_number in range(ROUNDS):
                    moment = clock.now() + timedelta(seconds=round_number * COUNTERS + offset)
                    moments.append(moment)
                    services.refresh_figures(services.snapshot_keys(year), moment)
            except Exception as error:
                errors.append(repr(error))

    def read() -> None:
        with busy_app.app_context():
            barrier.wait(timeout=30)
            try:
                while True:
                    last = counted.is_set()  # one more read after the counters are done
                    with begin_as(writer=False):  # as a web page reads
                        figures = services.stored_figures({key}).get(key)
                        db.session.commit()
                    if figures is not None:
                        seen.append(figures.value())
                    if last:
                        return
            except Exception as error:
                errors.append(repr(error))

    counters = [threading.Thread(target=count, args=(n,)) for n in range(COUNTERS)]
    readers = [threading.Thread(target=read) for _ in range(READERS)]
    for thread in counters + readers:
        thread.start()
    for thread in counters:
        thread.join(timeout=120)
    counted.set()
    for thread in readers:
        thread.join(timeout=120)
    assert errors == []
    assert seen and set(seen) == {5}  # never a snapshot without its cells, or half of them
    with busy_app.app_context():
        snapshots = db.session.execute(
            sa.select(FigureSnapshot.metric, sa.func.count()).group_by(FigureSnapshot.metric)
        ).all()
        assert all(count == 1 for _metric, count in snapshots)
        cells = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(FigureCell)
            .join(FigureSnapshot, FigureSnapshot.id == FigureCell.snapshot_id)
            .where(FigureSnapshot.metric == Metric.CONSULTATIONS_HELD)
        )
        assert cells == 2  # April in each of the two wards, once
        stored = services.stored_figures({key})[key]
        assert stored.counted_dt == max(moments) and stored.value() == 5  # the latest count


@pytest.mark.xdist_group("heavy")
def test_threads_asking_for_the_same_figures_at_once_read_their_cells_once(busy_app):
    """One thread reads a snapshot's cells; the others asking at that moment wait and take
    what it read (each reading them held a copy each: +24 MiB a worker of four threads)."""
    year = busy_app.config["busy_year"]
    with busy_app.app_context():
        keys = services.snapshot_keys(year)
        services.refresh_figures(keys)
        engine = db.engine
    busy_app.extensions.pop("figure_snapshots", None)  # this process has read none yet
    barrier = threading.Barrier(READERS)
    reads: list[str] = []
    values: list[float | None] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if "FROM figure_cells" in statement:
            reads.append(statement)

    def read() -> None:
        with busy_app.app_context():
            barrier.wait(timeout=30)
            with begin_as(writer=False):
                found = services.stored_figures(keys)
                values.append(found[(Metric.CONSULTATIONS_HELD, year, year)].value())
                db.session.commit()

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        threads = [threading.Thread(target=read) for _ in range(READERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert values == [5] * READERS
    assert len(reads) == 1, reads
