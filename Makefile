# Quick start: `make demo` and `make test`. Both set up their own virtual environment.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup demo test bench docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@# bubblewrap walls off student code; as root we install it, else grader falls back and says so
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; }; } || \
		echo "note: bubblewrap is not installed; student code will run with weaker isolation"
	@# the HTML report's test opens it in headless Chromium; as root we install it, else that test is skipped
	@{ command -v chromium && command -v chromedriver; } >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }; } || \
		echo "note: chromium is not installed; the HTML report's browser test will be skipped"
	$(PYTHON) -m venv $(VENV)
	@# the distribution was called grader before it became sandgrade: drop the old one, if any
	$(PY) -m pip uninstall --quiet --yes grader 2>/dev/null || true
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,otter]'
	touch $(STAMP)

demo: setup
	@for f in submissions_example/*.py submissions_example/*.ipynb; do \
		echo; echo "======== grader check $$f"; \
		$(VENV)/bin/grader check "$$f"; echo "(exit status $$?)"; \
	done

test: setup
	@# two processes, a test file to each at a time: its expensive fixtures (a zip, a kit, a venv) built once
	$(PY) -m pytest -q -n 2 --dist loadfile

docs: setup       # docs/authoring.md from docs/authoring.in.md and the spec models
	$(PY) docs/make_authoring.py

bench: setup
	$(PY) benchmarks/check_time.py
	$(PY) benchmarks/isolation_cost.py
	$(PY) benchmarks/batch_speed.py
	$(PY) benchmarks/batch_speed.py --export
	$(PY) benchmarks/seed_sweep.py
	$(PY) benchmarks/platforms.py

clean:
	rm -rf $(VENV) build *.egg-info
