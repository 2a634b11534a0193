# canh task runner: `make demo` and `make test` work on a fresh Debian/Ubuntu machine with
# Python 3.11+; they create .venv and install what they need (apt packages for the tests too).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the test suite starts for real (see docs/TESTING.md).
APT_TEST := iproute2 make chromium libreoffice-writer-nogui poppler-utils fonts-liberation2 fonts-noto-core openssh-server snmpd openssl clamav clamav-daemon prometheus prometheus-alertmanager faketime ethtool

# Peers and tools the benchmarks run side by side with canh.
APT_BENCH := wrk time fusioninventory-agent arp-scan nmap util-linux

.PHONY: demo test lint check bench schema docs deps-test deps-bench clean

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: $(VENV)/.installed  ## set up and run the main job
	$(BIN)/canh demo

deps-test: APT := $(APT_TEST)
deps-bench: APT := $(APT_BENCH)
deps-test deps-bench:
	@missing=""; for p in $(APT); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: deps-test $(VENV)/.installed lint  ## set up and run the whole test suite
	$(BIN)/python -m pytest

bench: deps-bench $(VENV)/.installed  ## run every benchmark; writes bench/results.json and the README table
	$(BIN)/python -m bench

schema: $(VENV)/.installed  ## regenerate docs/report.schema.json from the contract
	$(BIN)/python -c "import json; from canh.contract.report import json_schema; \
	open('docs/report.schema.json', 'w').write(json.dumps(json_schema(), indent=2, ensure_ascii=False) + '\n')"

docs: $(VENV)/.installed  ## regenerate docs/CLI.md from the command's own help
	$(BIN)/python docs/gen_cli.py

clean:
	rm -rf $(VENV) canh-demo .pytest_cache .mypy_cache .ruff_cache
