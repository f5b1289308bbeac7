# Every target creates what it needs: a virtualenv in .venv with the package and its test extras.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench quality clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m linkdesk.demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -m 'slow or not slow'
	$(BIN)/mypy

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/quality.py
	$(BIN)/python bench/small_archives.py
	$(BIN)/python bench/speed.py
	$(BIN)/python bench/sources.py
	$(BIN)/python bench/notes.py
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/inbound.py
	$(BIN)/python bench/relink.py
	$(BIN)/python bench/related.py
	$(BIN)/python bench/check.py
	$(BIN)/python bench/postgres.py

quality: $(STAMP)
	$(BIN)/python bench/quality.py --check
	$(BIN)/python bench/sources.py --check --skip-100k

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
