# litdata developer commands. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
TORCH_PIN ?= torch==2.13.0
REF_LITDATA ?= litdata==0.2.76
REF_DIR ?= .cache/reference-litdata
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: help install demo test lint format reference bench clean

help:
	@echo "make demo   - install, then optimize 1,000 images and stream them back"
	@echo "make test   - install, lint, and run the whole test suite"
	@echo "make bench  - run the benchmarks (ours vs the real LitData when installed)"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "$(TORCH_PIN)" -e ".[extras,test]"
	touch $@

install: $(VENV)/.installed

# The real LitData, installed beside (never into) our venv; tests run it in a subprocess with PYTHONPATH.
$(REF_DIR)/.installed: $(VENV)/.installed
	rm -rf $(REF_DIR)
	$(PIP) install -q --no-deps --target $(REF_DIR) "$(REF_LITDATA)" lightning-utilities filelock tifffile obstore requests urllib3 packaging zstd
	touch $@

reference: $(REF_DIR)/.installed

demo: install
	$(PY) examples/demo.py

lint: install
	$(VENV)/bin/ruff check src tests examples benchmarks
	$(VENV)/bin/ruff format --check src tests examples benchmarks

format: install
	$(VENV)/bin/ruff format src tests examples benchmarks
	$(VENV)/bin/ruff check --fix src tests examples benchmarks

test: install reference lint
	LITDATA_REFERENCE_PATH=$(abspath $(REF_DIR)) $(PY) -m pytest -q -p no:cacheprovider

bench: install reference
	LITDATA_REFERENCE_PATH=$(abspath $(REF_DIR)) $(PY) benchmarks/bench_optimize_stream.py

clean:
	rm -rf $(VENV) $(REF_DIR) build dist src/*.egg-info demo_data
