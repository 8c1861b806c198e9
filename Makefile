# Two commands do all set-up: `make demo` and `make test`. Each creates .venv when missing;
# `make test` first installs the peer programs the suite talks to (scripts/install-peers.sh).
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

# The lowest versions of the dependencies that pyproject.toml declares; `make test-min` runs the
# whole suite in a second venv with exactly these.
MIN_VENV := .venv-min
MIN_PINS := cryptography==45.0.1 gmpy2==2.2.0
MIN_STAMP := $(MIN_VENV)/.installed

.PHONY: demo test test-min peers lint docs bench clean fuzz

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/tls12 demo

peers:
	PYTHON=$(PYTHON) scripts/install-peers.sh

test: peers $(STAMP)
	$(VENV)/bin/python -m pytest -n 2 -q

$(MIN_STAMP): pyproject.toml Makefile
	test -x $(MIN_VENV)/bin/python || $(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(MIN_VENV)/bin/python -m pip install --quiet -e '.[dev]' $(MIN_PINS)
	$(MIN_VENV)/bin/python -c 'import cryptography, gmpy2; print("minimum:", \
	  "cryptography", cryptography.__version__, "gmpy2", gmpy2.version())'
	touch $(MIN_STAMP)

# The suite against the declared floor (CI runs it too). The editable install in .venv-min points
# at this same checkout, so the suite runs the same code with the older libraries.
test-min: peers $(MIN_STAMP)
	$(MIN_VENV)/bin/python -m pytest -n 2 -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests fuzz benchmarks examples scripts
	$(VENV)/bin/mypy

# docs/API.md from the docstrings (tests/test_api_reference.py fails when it is stale).
docs: $(STAMP)
	$(VENV)/bin/python scripts/api_reference.py

# The benchmark (benchmarks/, not in the wheel): BENCH_ARGS=--quick for a short run. Then the
# asyncio scaling rows (benchmarks/scaling.py) and the issue-14 targets, met or not.
BENCH_ARGS ?=
SCALING_ARGS ?= $(filter --quick,$(BENCH_ARGS))
BENCH_OUT ?= .bench
bench: $(STAMP)
	mkdir -p $(BENCH_OUT)
	status=0; \
	$(VENV)/bin/python -m benchmarks $(BENCH_ARGS) --json $(BENCH_OUT)/bench.json || status=$$?; \
	$(VENV)/bin/python -m benchmarks.scaling $(SCALING_ARGS) --json $(BENCH_OUT)/scaling.json \
		|| status=$$?; \
	$(VENV)/bin/python -m benchmarks.targets $(BENCH_OUT)/bench.json $(BENCH_OUT)/scaling.json; \
	exit $$status

# Coverage-guided fuzzing (atheris), not part of `make test`: each harness runs FUZZ_SECONDS
# (one libFuzzer job, crashes saved and the run goes on). See fuzz/README.md.
FUZZ_SECONDS ?= 600
FUZZ_HARNESSES ?= fuzz_record_layer fuzz_messages fuzz_client_engine fuzz_server_engine
FUZZ_FLAGS ?= -max_len=16384 -timeout=10 -rss_limit_mb=2048
FUZZ_STAMP := $(VENV)/.installed-fuzz

$(FUZZ_STAMP): $(STAMP)
	$(VENV)/bin/python -m pip install --quiet -e '.[dev,fuzz]'
	touch $(FUZZ_STAMP)

fuzz: $(FUZZ_STAMP)
	@for h in $(FUZZ_HARNESSES); do \
	  mkdir -p fuzz/work/$$h fuzz/artifacts/$$h fuzz/regressions/$$h; \
	  echo "== $$h: $(FUZZ_SECONDS) s (log: fuzz/work/$$h.log)"; \
	  $(VENV)/bin/python -m fuzz.$$h -fork=1 -ignore_crashes=1 \
	    -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) -artifact_prefix=fuzz/artifacts/$$h/ \
	    fuzz/work/$$h fuzz/corpus/$$h fuzz/regressions/$$h > fuzz/work/$$h.log 2>&1; \
	  grep '^#' fuzz/work/$$h.log | tail -n 1; \
	  echo "   findings: $$(ls fuzz/artifacts/$$h | wc -l) file(s) in fuzz/artifacts/$$h/"; \
	done

clean:
	rm -rf $(VENV) $(MIN_VENV) build dist src/*.egg-info
