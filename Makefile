# facemask: `make demo` installs and runs the main job, `make test` installs and runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SHARED_DATA ?= $(abspath ../shared/data)
PORT ?= 8866
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup chromium prometheus wrk rtsp-server test test-fast lint test-notebooks test-py check-export real-data demo insights bench bench-retrain bench-site bench-queue bench-history bench-cameras screenshots loadtest loadtest-replicas image serve pins readme docs clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

setup: $(VENV)/.installed  ## create .venv with facemask (editable) and the test tools

$(VENV)/.installed: settings.ini setup.py
	@test -n "$(PYTHON)" || { echo "Python 3.11 is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/python -c "from facemask.detect import detector_model; print('face detector:', detector_model())"
	touch $@

chromium:  ## Debian's chromium for the browser tests (installed with apt if missing)
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

prometheus:  ## Debian's Prometheus server, which a test points at facemask serve (installed with apt if missing)
	@command -v prometheus >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends prometheus; }

wrk:  ## Debian's wrk, the light HTTP load generator of `loadtest/run.py --generator wrk|both` (installed with apt if missing)
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk; }

rtsp-server:  ## Debian's GStreamer RTSP server, which the network-camera tests and bench-cameras serve clips with (installed with apt if missing)
	@/usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0')" 2>/dev/null || { $(SUDO) apt-get update -qq && \
	 $(SUDO) apt-get install -y -qq --no-install-recommends python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad; }

test: setup check-export lint test-notebooks test-py  ## install if needed, then run every test

check-export: setup  ## facemask/ must be exactly what the notebooks export
	@before=$$(cat facemask/*.py | md5sum); $(BIN)/nbdev_export; after=$$(cat facemask/*.py | md5sum); \
	 [ "$$before" = "$$after" ] || { echo "facemask/ was out of date with nbs/ (now re-exported): edit notebooks, never facemask/"; exit 1; }

test-fast: lint test-notebooks  ## the edit loop: the notebooks' tests and pytest without the tests marked slow (training, containers, real servers, browsers)
	$(BIN)/pytest -q -n 2 -m 'not slow' tests

lint: setup  ## ruff (pinned in settings.ini, ruff.toml): pyflakes' checks and lines of at most 140 characters
	$(BIN)/ruff check facemask tests loadtest .ci

test-notebooks: setup  ## run every notebook's tests as nbdev_test does, keeping their outputs for the docs build (.ci/docs.py test)
	$(BIN)/python .ci/docs.py test

test-py: setup chromium prometheus rtsp-server  ## pytest: command line, HTTP API, network cameras, bad-input corpus, training and retraining runs, the dashboard in a browser, packaging
	$(BIN)/pytest -rs -n 2 --dist loadfile tests   # two processes, each test file in one (its module's home); -rs: why a test was skipped

real-data: setup  ## import ../shared/data/faces once (later calls reuse it)
	@if [ ! -d "$(SHARED_DATA)/faces" ]; then \
	  echo "No data at $(SHARED_DATA)/faces: import a folder of class folders with"; \
	  echo "  $(BIN)/facemask data import PATH   or   $(BIN)/facemask data fetch NAME --sha256 HEX"; exit 1; fi
	@$(BIN)/facemask data stats >/dev/null 2>&1 || $(BIN)/facemask data import "$(SHARED_DATA)/faces"

demo: setup  ## import the real data (once, if present), then serve the dashboard (Ctrl-C stops it)
	@$(MAKE) --no-print-directory real-data || echo "(the dashboard still works with the shipped model)"
	$(BIN)/facemask app --port $(PORT)

insights: real-data  ## render the dataset insights (papermill notebook + figures under outputs/explore/)
	$(BIN)/facemask explore

bench: real-data chromium rtsp-server wrk  ## print measured figures: model quality, prediction latency, video and network cameras, dashboard timings, API throughput
	@echo "== production model on the frozen test split (real photos = andrewmvd + jolignier, with 95 % intervals) =="
	$(BIN)/facemask evaluate
	@echo "== every trained model: real-photo quality against LiteRT time per face (tests/bench/bench_models.py) =="
	$(BIN)/python tests/bench/bench_models.py
	@echo "== prediction speed on real test images (this machine: $$(nproc) cores) =="
	$(BIN)/facemask bench
	@echo "== group photos of the test split: face detection + labels =="
	$(BIN)/facemask evaluate-faces
	@echo "== video: face detector per 640x480 frame, facemask watch end to end (tests/bench/bench_video.py) =="
	$(BIN)/python tests/bench/bench_video.py
	@echo "== network cameras: four RTSP streams at once, then one (tests/bench/bench_cameras.py) =="
	$(BIN)/python tests/bench/bench_cameras.py
	@echo "== the dashboard in a browser (chromium) =="
	$(BIN)/python tests/bench/bench_dashboard.py
	@echo "== HTTP API under load: 2 workers, 32 wrk connections for 10 s on loopback (make loadtest compares more) =="
	$(BIN)/python loadtest/run.py --targets host --workers 2 --users 32 --seconds 10 --out outputs/loadtest/bench

bench-queue: real-data  ## what the review queue puts first on two real cameras (the shipped model, the product's collector): faces, mistakes, incorrectly worn masks against the camera's rates
	$(BIN)/python tests/bench/bench_queue.py

bench-history: real-data  ## a simulated day of one camera through watch --site: history size, read-back time, an alert's delay, what monitoring costs
	$(BIN)/python tests/bench/bench_history.py

bench-cameras: real-data rtsp-server  ## network cameras: four 640x480 25 frames/s RTSP streams watched together, then one alone (frames/s, lag, dropped, CPU)
	$(BIN)/python tests/bench/bench_cameras.py

screenshots: real-data chromium  ## refresh the screenshots of the seven dashboard tabs (nbs/images/dashboard_*.png), with a review queue and a day of history
	$(BIN)/python tests/bench/screenshot_dashboard.py

LOCUST = --generator locust --users 1 8 32 --seconds 10

loadtest: setup wrk  ## Locust on loopback, 1 vs 2 workers × 1/8/32 users, 10 s each: facemask serve, and the container when an engine runs; then what monitoring costs (wrk, on/off alternated twice) (reports + plots in outputs/loadtest/)
	@if $(BIN)/python -c "import sys; sys.path.insert(0, 'deploy'); import container; sys.exit(container.engine() is None)"; then \
	  $(MAKE) --no-print-directory image && $(BIN)/python loadtest/run.py --targets host container $(LOCUST); \
	else echo "(no container engine here: measuring facemask serve only)"; $(BIN)/python loadtest/run.py --targets host $(LOCUST); fi
	$(BIN)/python loadtest/run.py --out outputs/loadtest/monitoring

loadtest-replicas: image  ## API replicas behind nginx in containers: 1 vs 2 replicas, one killed under load, a promotion reaching all
	$(BIN)/python loadtest/replicas.py

image: setup  ## build the API image (docker when a daemon answers, else podman; nbs/guide/deploy.md) and print its size
	$(BIN)/python deploy/container.py build

serve: setup  ## serve the HTTP API on 127.0.0.1:8000 (OpenAPI at /docs; Ctrl-C stops it)
	$(BIN)/facemask serve --workers 2

bench-retrain: setup  ## time a one-click retraining with 200 new images on the full real data (a throw-away home; ~minutes)
	$(BIN)/python tests/bench/bench_retrain.py --faces "$(SHARED_DATA)/faces" --new 200

SEED ?= 0
bench-site: real-data  ## a site that adapts: the review queue + one retraining, jolignier as the site (tests/bench/bench_site.py; ~20 min, kept in outputs/bench/site); BASE=shipped: the model that ships, half the site's test photos as its camera, corrections too; SEED=1: another seed
ifeq ($(BASE),shipped)
	$(BIN)/python tests/bench/bench_site.py --base shipped --labels 400 --orders queue --corrections 10,20,all --seed $(SEED)
else
	$(BIN)/python tests/bench/bench_site.py --variant site oversample_site 4 select_on val_real_site_macro_f1 --seed $(SEED)
endif

readme: setup  ## write README.md from nbs/index.ipynb (executed), the guide pages' notebook lists and the command table (edit the sources, never these)
	$(BIN)/python .ci/docs.py readme

docs: setup  ## the documentation site in _docs/: the notebooks executed (slow cells skipped), rendered by mkdocs, every internal link checked
	$(BIN)/python .ci/docs.py build

pins:  ## write environment.yml and binder/requirements.txt from the pins in settings.ini
	$(PYTHON) .ci/pins.py

clean:  ## remove the virtual environment (data/ and outputs/ are kept)
	rm -rf $(VENV)
