# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test fuzz browser messages migration clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(INSTALLED)

## make run: fresh machine → migrated SQLite database in ./data with demo data, served on :8000
run: $(INSTALLED)
	$(BIN)/accord migrate
	$(BIN)/accord serve --demo --host 127.0.0.1 --port 8000

## make test: the whole suite, in parallel, with the coverage floor (SQLite by default; set
## DATABASE_URL=postgresql://... for PostgreSQL). How tests are shared out between workers: tests/conftest.py.
TEST_WORKERS ?= auto
test: $(INSTALLED) browser
	$(BIN)/pytest -n $(TEST_WORKERS) --cov --cov-report=term

## make fuzz: schemathesis over the whole API as every role, long (make test: the coverage phase and one example each)
fuzz: $(INSTALLED)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} FUZZ_PHASES=examples,coverage,fuzzing,stateful \
	  FUZZ_UNEXPECTED_METHODS_AS=anonymous,consumer,merchant,mediator,admin \
	  $(BIN)/pytest -p no:cacheprovider -s tests/security/test_fuzz.py

# Browser tests drive Debian's chromium; install it (and CJK fonts) when missing and we may.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-wqy-microhei; \
	  else echo "Browser tests need Debian's chromium: sudo apt-get install chromium fonts-wqy-microhei" >&2; exit 1; fi; \
	fi

## make messages: re-extract UI strings and merge them into both catalogs (then translate zh_Hans)
messages: $(INSTALLED)
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -o locales/messages.pot -k N_ .
	$(BIN)/pybabel update --no-fuzzy-matching -i locales/messages.pot -d locales -l en
	$(BIN)/pybabel update --no-fuzzy-matching -i locales/messages.pot -d locales -l zh_Hans

## make migration APP=accounts: generate a Piccolo migration from table changes
migration: $(INSTALLED)
	PICCOLO_CONF=accord.piccolo_conf ACCORD_DATA_DIR=$$(mktemp -d) $(BIN)/piccolo migrations new $(APP) --auto=true

clean:
	rm -rf $(VENV) build *.egg-info
