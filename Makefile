# The two commands of the README, plus the usual helpers.
# Everything runs inside .venv, which is created from the system python3 on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PLUGINS := $(sort $(wildcard plugins/*/pyproject.toml))
STAMP  := $(VENV)/.installed

.PHONY: demo test docs bench clean install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# (Re)install when any pyproject changes: the library, its extras and every plug-in, editable.
$(STAMP): $(BIN)/python pyproject.toml $(PLUGINS)
	$(BIN)/python -m pip install --quiet -e ".[test,docs,yaml,json,arrow,pandas,excel,server,dask]"
	@for p in $(PLUGINS); do \
	  d=$$(dirname $$p); echo "installing plug-in $$d"; \
	  $(BIN)/python -m pip install --quiet --no-deps -e "$$d" || exit 1; \
	done
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m shequ_gov.demo

test: $(STAMP)
	$(BIN)/python -m pytest -q tests $(wildcard plugins/*/tests)
	$(MAKE) --no-print-directory docs

docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html
	$(BIN)/python -m sphinx -W --keep-going -q -b doctest docs docs/_build/doctest

# The optional OpenFisca peer (extra [peers]) is installed here, not for the tests; if it cannot be
# installed the openfisca_peer step records that it was skipped.
bench: $(STAMP)
	-$(BIN)/python -m pip install --quiet -e ".[peers]"
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) docs/_build .pytest_cache .hypothesis
