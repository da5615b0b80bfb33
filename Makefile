# Customer Twin: `make demo` and `make test` are the two commands a newcomer needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_CLIENTS ?= 300
DEMO_WEEKS ?= 156
ADDR ?= 127.0.0.1:8000
# Debian packages the browser tests (and the spoken brief) need; installed only by `make browser`.
SYSTEM_PACKAGES := chromium chromium-driver espeak-ng opus-tools
SYSTEM_COMMANDS := /usr/bin/chromium /usr/bin/chromedriver /usr/bin/espeak-ng /usr/bin/opusenc

.PHONY: install demo seed test browser lint format clean test-slow mutation mutation-quick mutation-sample

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

install: $(STAMP)

# Migrate, load the synthetic distributor (replacing any CRM data) and score it.
seed: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --clients $(DEMO_CLIENTS) --weeks $(DEMO_WEEKS) --history-weeks 52 --seed 7 --reset
	$(PY) manage.py score
	$(PY) manage.py refit_propensity
	$(PY) manage.py score_deals
	$(PY) manage.py refit_insights
	$(PY) manage.py run_voice
	$(PY) manage.py target_launches

demo: seed
	@echo "Serving on http://$(ADDR)/  (admin: http://$(ADDR)/admin/; demo logins printed above)"
	DEBUG=true $(PY) manage.py runserver $(ADDR)

# Debian's Chromium, its driver, eSpeak NG and opusenc; does nothing when all are present.
browser:
	@missing=""; for f in $(SYSTEM_COMMANDS); do test -x $$f || missing="$$missing $$f"; done; \
	if [ -z "$$missing" ]; then echo "browser: $(SYSTEM_PACKAGES) already installed"; exit 0; fi; \
	echo "browser: missing$$missing; installing $(SYSTEM_PACKAGES)"; \
	sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	$$sudo apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends \
	  $(SYSTEM_PACKAGES) >/dev/null || { echo "browser: apt-get failed" >&2; exit 1; }; \
	for f in $(SYSTEM_COMMANDS); do test -x $$f || { echo "browser: $$f still missing" >&2; exit 1; }; done

# The whole suite, in TEST_WORKERS processes (pytest-xdist; the real-worker tests share one); the
# browser tests skip without Chromium (`make browser`), except with CI=true.
TEST_WORKERS ?= auto
test: install
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The statistical checks over seeds 1-10 (pytest -m slow; docs/testing.md).
test-slow: install
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

# Mutation testing (mutmut, docs/testing.md): every mutant of the statistics and decision code
# (hours on 2 cores), the sampled subset the docs' figures come from, and CI's fixed sample
# (a few minutes; fails if any of it survives).
mutation: install
	$(PY) scripts/mutation.py run
mutation-quick: install
	$(PY) scripts/mutation.py quick
mutation-sample: install
	$(PY) scripts/mutation.py sample

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PYTHONPATH=. $(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	CRM_ENV=production SECRET_KEY=ci-only-$$(printf '%060d' 0) ALLOWED_HOSTS=crm.example.com \
	  $(PY) manage.py check --deploy --fail-level WARNING

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var staticfiles

# Production-like run (docs/faults.md): static files, migrations, schedules, then gunicorn and,
# when REDIS_URL is set, a Celery worker and beat. Sized for 2 cores; set CRM_ENV=production,
# SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL first.
WEB_WORKERS ?= 3
WEB_THREADS ?= 2
CELERY_CONCURRENCY ?= 2
serve: install
	$(PY) manage.py collectstatic --noinput
	$(PY) manage.py migrate --noinput
	$(PY) manage.py install_schedules
	@set -e; pids=""; trap 'kill $$pids 2>/dev/null || true' EXIT INT TERM; \
	if [ -n "$$REDIS_URL" ]; then \
	  $(VENV)/bin/celery -A config worker --concurrency $(CELERY_CONCURRENCY) --loglevel INFO & pids="$$pids $$!"; \
	  $(VENV)/bin/celery -A config beat --loglevel INFO & pids="$$pids $$!"; \
	else echo "REDIS_URL unset: tasks run inside the web workers (no Celery worker, no beat)"; fi; \
	$(VENV)/bin/gunicorn config.wsgi:application --bind $(ADDR) --workers $(WEB_WORKERS) \
	  --threads $(WEB_THREADS) --timeout 120 --graceful-timeout 30 --max-requests 2000 \
	  --max-requests-jitter 200 --access-logfile -
