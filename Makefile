# The gateway's entry points: `make run` and `make test` work on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8787
# Granian: one worker process per core runs the CPU work in parallel; each has up to THREADS
# blocking threads (created when needed), one per request or stream in flight.
WORKERS ?= 2
THREADS ?= 512

.PHONY: run serve test test-browser lint format env migrate bench bench-peers clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

# Local secrets, written once: a Django SECRET_KEY and a Fernet key for stored credentials.
.env: | $(VENV)/.installed
	$(BIN)/python scripts/write_env.py > $@

env: .env

migrate: $(VENV)/.installed .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

# gateway_project/server.py: Granian's WSGI workers, the metrics directory, worker start-up.
run: migrate
	WEB_CONCURRENCY=$(WORKERS) GATEWAY_THREADS=$(THREADS) \
		$(BIN)/python -m gateway_project.server --host $(HOST) --port $(PORT)

serve: run

test: $(VENV)/.installed-dev
	$(BIN)/pytest -q

# The admin console in headless Chromium (Debian's package; also part of `make test`).
test-browser: $(VENV)/.installed-dev
	scripts/ensure_chromium.sh
	$(BIN)/pytest -q -m browser tests/browser

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# On 127.0.0.1 only (about 11 minutes; wrk from Debian): the load table with the server's CPU
# per request beside a hello-world floor, the candidate servers side by side, 500 streams,
# model calls against a fake provider, each cache backend (the machine cache beside local
# memory and Redis, in process) and the CPU of each native translation (in process).
bench: $(VENV)/.installed-dev
	command -v wrk >/dev/null || apt-get install -y wrk
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.servers
	$(BIN)/python -m benchmarks.streams
	$(BIN)/python -m benchmarks.inference
	$(BIN)/python -m benchmarks.cache --rounds 5
	$(BIN)/python -m benchmarks.translations

# Optional, not in CI: the Portkey OSS gateway (npm, pinned, in .peers/) under the same load.
bench-peers: $(VENV)/.installed-dev
	command -v wrk >/dev/null || apt-get install -y wrk
	$(BIN)/python -m benchmarks.peers

clean:
	rm -rf $(VENV) staticfiles
