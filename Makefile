# Two commands do all set-up: `make demo` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean fuzz

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/tls12 demo

test: $(STAMP)
	$(VENV)/bin/python -m pytest -n 2 -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests fuzz benchmarks

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
	rm -rf $(VENV) build src/*.egg-info
