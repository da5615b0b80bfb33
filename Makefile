# Customer Twin: `make demo` and `make test` are the two commands a newcomer needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_CLIENTS ?= 300
DEMO_WEEKS ?= 156
ADDR ?= 127.0.0.1:8000

.PHONY: install demo seed serve test lint format bench clean browser

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --clients $(DEMO_CLIENTS) --weeks $(DEMO_WEEKS) --seed 7 --reset
	$(PY) manage.py score
	@echo "Serving on http://$(ADDR)/  (admin: http://$(ADDR)/admin/; demo logins printed above)"
	DEBUG=true $(PY) manage.py runserver $(ADDR)

# Debian's Chromium for the end-to-end tests; skipped when it is already there.
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null) \
	  || echo "warning: could not install chromium; e2e tests will fail"

test: install browser
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	CRM_ENV=production SECRET_KEY=ci-only-$$(printf '%060d' 0) ALLOWED_HOSTS=crm.example.com \
	  $(PY) manage.py check --deploy --fail-level WARNING

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var staticfiles
