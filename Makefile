# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app inclusion
CATALOGS := $(wildcard inclusion/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run web scheduler test lint format messages clean bench bench-reminders bench-calendar bench-targets bench-scale-out screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@ >/dev/null

## run: set up, migrate, add demo data, start the web app, the scheduler and a fake LINE (Ctrl-C stops them)
# The demo's LINE account is a fake on 127.0.0.1:5010, with a page to chat as a resident.
run: export LINE_CHANNEL_SECRET ?= 0123456789abcdef0123456789abcdef
run: export LINE_CHANNEL_ACCESS_TOKEN ?= demo-token
run: export LINE_BASIC_ID ?= @inclusion-demo
run: export LINE_API_BASE_URL ?= http://127.0.0.1:5010
run: $(VENV)/.installed $(COMPILED)
	$(FLASK) db upgrade
	$(FLASK) demo
	@trap 'kill $$scheduler $$web $$line 2>/dev/null; wait 2>/dev/null' EXIT INT TERM; \
	$(FLASK) line fake --port 5010 & line=$$!; \
	$(FLASK) scheduler & scheduler=$$!; \
	$(FLASK) run --host 127.0.0.1 --port 5000 & web=$$!; \
	$(BIN)/python -c 'import socket, time; any(socket.socket().connect_ex(("127.0.0.1", 5000)) == 0 or time.sleep(0.2) for _ in range(150))'; \
	$(FLASK) demo --logins; \
	$(FLASK) demo --api-key; \
	wait $$web

## screenshots: each main staff page at 1280×800 and 390×844, in screenshots/ (needs chromium and fonts-noto-cjk)
screenshots: $(VENV)/.installed $(COMPILED)
	SCREENSHOTS_DIR=$(CURDIR)/screenshots INCLUSION_REQUIRE_BROWSER=1 $(BIN)/pytest -q -p no:randomly tests/browser/test_screenshots.py

## test: set up and run the whole suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set),
## on every core (TEST_WORKERS=1 for one process)
TEST_WORKERS ?= auto
test: $(VENV)/.installed $(COMPILED)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

BENCH_LOAD := .bench/load-venv

# The load generator lives in a virtualenv of its own: it shares no packages with the app.
$(BENCH_LOAD)/.installed: bench/load-requirements.txt
	$(PYTHON) -m venv $(BENCH_LOAD)
	$(BENCH_LOAD)/bin/pip install --quiet -r bench/load-requirements.txt
	touch $@

## bench: the key pages at national scale under load on SQLite and PostgreSQL, next to a
## bare hello in the same server; then the reminder and calendar benchmarks
bench: $(VENV)/.installed $(COMPILED) $(BENCH_LOAD)/.installed
	$(BIN)/python bench/national.py --load-python $(BENCH_LOAD)/bin/python $(BENCH_ARGS)

## bench-scale-out: two app groups (gunicorn and a scheduler each, as two hosts) on one
## PostgreSQL and Redis: throughput of both ÷ one, reminders with a dispatcher killed, a
## calendar built once across hosts, the scheduler's leader moving (needs Debian's wrk)
bench-scale-out: $(VENV)/.installed $(COMPILED)
	$(BIN)/python bench/scale_out.py $(BENCH_ARGS)

## bench-reminders: plan reminders for a million bookings; sends per second vs bare requests
bench-reminders: $(VENV)/.installed
	$(BIN)/python bench/reminders.py $(BENCH_ARGS)

## bench-calendar: build a 10,000-event feed vs icalendar serialising it; a 304's cost
bench-calendar: $(VENV)/.installed
	$(BIN)/python bench/calendar_feeds.py $(BENCH_ARGS)

## bench-targets: the dashboard at scale (BENCH_ARGS="--scale national") vs its SQL alone
bench-targets: $(VENV)/.installed
	$(BIN)/python bench/targets.py $(BENCH_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## messages: extract new UI strings into the catalogs, for translators
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l --ignore-dirs '.* __pycache__' -o inclusion/translations/messages.pot --omit-header --sort-by-file inclusion templates
	$(BIN)/pybabel update -i inclusion/translations/messages.pot -d inclusion/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) $(COMPILED)
