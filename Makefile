# litdata developer commands. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
TORCH_PIN ?= torch==2.13.0
REF_LITDATA ?= litdata==0.2.76
REF_DIR ?= .cache/reference-litdata
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: help install demo demo-s3 test lint format reference mosaic-writer bench clean azurite docs

help:
	@echo "make demo   - install, then optimize 1,000 images and stream them back"
	@echo "make demo-s3 - the same against a local S3 server: optimize into a bucket, stream back cold and warm"
	@echo "make demo-ray - the same on a local 2-node Ray cluster (loopback-only namespace, needs root)"
	@echo "make test   - install, lint, and run the whole test suite"
	@echo "make test-matrix - every combination of the loader configuration matrix against LitData 0.2.76"
	@echo "make lint   - ruff check, ruff format --check, mypy on src/ and the layer contracts (lint-imports; pyproject.toml)"
	@echo "make test-oldest - the core tests on the lowest version of every dependency pyproject.toml allows (part of make test)"
	@echo "make docs   - build the documentation site into site/ (warnings are errors)"
	@echo "make bench  - benchmarks: ours vs LitData 0.2.76, MosaicML Streaming and WebDataset (see benchmarks/README.md)"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "$(TORCH_PIN)" -e ".[extras,test,docs]"
	touch $@

install: $(VENV)/.installed

# The real LitData, installed beside (never into) our venv; tests run it in a subprocess with PYTHONPATH.
$(REF_DIR)/.installed: $(VENV)/.installed
	rm -rf $(REF_DIR)
	$(PIP) install -q --no-deps --target $(REF_DIR) "$(REF_LITDATA)" lightning-utilities filelock tifffile obstore requests urllib3 packaging zstd
	touch $@

reference: $(REF_DIR)/.installed

# MosaicML Streaming's MDSWriter, installed beside (never into) our venv: tests/media/mosaic_writer.py runs it in a
# subprocess to write the MDS datasets the tests read. Only the packages its writer imports are added (its package
# __init__ needs transformers and cloud clients, which the tests bypass); torch and numpy come from the venv.
MOSAIC_STREAMING ?= mosaicml-streaming==0.13.0
MOSAIC_DIR ?= .cache/mosaic-streaming
$(MOSAIC_DIR)/.installed: $(VENV)/.installed
	rm -rf $(MOSAIC_DIR)
	$(PIP) install -q --no-deps --target $(MOSAIC_DIR) "$(MOSAIC_STREAMING)" Brotli "python-snappy<1" cramjam "zstd<2"
	touch $@

mosaic-writer: $(MOSAIC_DIR)/.installed

demo: install
	$(PY) examples/demo.py

demo-s3: install
	$(PY) examples/demo_s3.py

.PHONY: demo-ray
demo-ray: install
	$(PY) examples/demo_ray.py

# radon: no function of src/litdata may be rated D or worse (cyclomatic complexity above 20).
RADON_GATED ?= src/litdata
lint: install
	$(VENV)/bin/ruff check src tests examples benchmarks docs
	$(VENV)/bin/ruff format --check src tests examples benchmarks docs
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	@complex="$$($(VENV)/bin/radon cc -n D -s $(RADON_GATED))"; \
	if [ -n "$$complex" ]; then echo "$$complex"; echo "radon: functions rated D or worse (split them into steps)"; exit 1; fi

format: install
	$(VENV)/bin/ruff format src tests examples benchmarks docs
	$(VENV)/bin/ruff check --fix src tests examples benchmarks docs

# Azurite (the Azure Blob emulator used by tests/cloud), installed once with npm into a git-ignored folder.
# Pinned: later releases need node >= 21 and take minutes to exit.
AZURITE_VERSION ?= 3.35.0
AZURITE_DIR ?= .ci/node
AZURITE_STAMP := $(AZURITE_DIR)/.installed-azurite-$(AZURITE_VERSION)
$(AZURITE_STAMP):
	mkdir -p $(AZURITE_DIR)
	cd $(AZURITE_DIR) && npm install --no-audit --no-fund --silent azurite@$(AZURITE_VERSION)
	touch $@

azurite: $(AZURITE_STAMP)

test: install reference mosaic-writer lint azurite docs
	AZURITE_BLOB=$(abspath $(AZURITE_DIR))/node_modules/.bin/azurite-blob \
	LITDATA_REFERENCE_PATH=$(abspath $(REF_DIR)) LITDATA_MOSAIC_PATH=$(abspath $(MOSAIC_DIR)) \
	$(PY) -m pytest -q -p no:cacheprovider -n 2
	$(MAKE) test-oldest

# The lowest version of every runtime dependency that pyproject.toml allows (torch, numpy, pyarrow, cryptography,
# ...: .ci/lowest_constraints.py pins each floor), in its own venv (git-ignored). The streaming, loader, order,
# processing and distributed tests run on it; the main venv has the newest releases. PyPI's torch 2.4 wheels bring
# CUDA libraries (~2.5 GB, once).
OLDEST_VENV ?= .venv-oldest
OLDEST_TESTS ?= tests/streaming tests/utilities tests/processing tests/test_order_parity.py tests/test_distributed.py \
	tests/test_golden_fixtures.py
$(OLDEST_VENV)/.installed: pyproject.toml .ci/lowest_constraints.py
	rm -rf $(OLDEST_VENV)
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install -q --upgrade pip
	$(PYTHON) .ci/lowest_constraints.py > $(OLDEST_VENV)/constraints.txt
	$(OLDEST_VENV)/bin/python -m pip install -q -c $(OLDEST_VENV)/constraints.txt -e ".[extras,jpeg]" pytest pytest-xdist hypothesis
	touch $@

.PHONY: test-oldest
test-oldest: $(OLDEST_VENV)/.installed
	$(OLDEST_VENV)/bin/python -m pytest -q -p no:cacheprovider -n 2 $(OLDEST_TESTS)

# Every combination of the configuration matrix (tests/matrix), ours against LitData 0.2.76 (whose outcomes are
# cached in .cache/matrix-reference/); the summary prints the counts. `make test` runs the pairwise CI subset.
.PHONY: test-matrix
test-matrix: install reference
	LITDATA_MATRIX=full LITDATA_REFERENCE_PATH=$(abspath $(REF_DIR)) $(PY) -m pytest -q -p no:cacheprovider tests/matrix

# The documentation site (MkDocs Material + mkdocstrings); strict: a warning fails the build.
docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet --site-dir site
	@echo "built site/index.html"

# The libraries we compare with, in their own venv (never in ours; git-ignored). torch is pinned in the same pip
# command so pip keeps the CPU build; PyPI's torchvision is CUDA-linked and cannot be imported here, so it goes
# after the install (LitData and Mosaic import without it). A peer that fails to install is reported and skipped.
PEERS_VENV ?= .venv-peers
PEERS_PIP := $(PEERS_VENV)/bin/python -m pip
$(PEERS_VENV)/.installed:
	rm -rf $(PEERS_VENV)
	$(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_PIP) install -q --upgrade pip
	$(PEERS_PIP) install -q "$(TORCH_PIN)" torchvision==0.28.0 "$(REF_LITDATA)" boto3 pillow
	$(PEERS_PIP) install -q "$(TORCH_PIN)" torchvision==0.28.0 mosaicml-streaming || echo "*** mosaicml-streaming could not be installed: its column will be empty"
	$(PEERS_PIP) install -q "$(TORCH_PIN)" webdataset || echo "*** webdataset could not be installed: its column will be empty"
	$(PEERS_PIP) uninstall -q -y torchvision
	touch $@

.PHONY: peers
peers: $(PEERS_VENV)/.installed

# Ours (.venv) side by side with LitData 0.2.76, MosaicML Streaming and WebDataset (.venv-peers); see benchmarks/README.md.
# Ours is an editable install: its modules are compiled first, as pip compiles a wheel's (and the peers') at install,
# so that no timed process compiles our sources (where PYTHONDONTWRITEBYTECODE is set, none would ever be cached).
bench: install peers reference
	$(PY) -m compileall -q src/litdata
	$(PY) benchmarks/bench.py --peers-python $(PEERS_VENV)/bin/python
	$(PY) benchmarks/media_decode.py --reference $(REF_DIR)
	$(PY) benchmarks/tensor_leaves.py --reference $(REF_DIR)
	$(PY) benchmarks/script_imports.py --reference $(REF_DIR)

clean:
	rm -rf $(VENV) $(OLDEST_VENV) .venv-torch-oldest $(REF_DIR) $(MOSAIC_DIR) build dist src/*.egg-info demo_data site
