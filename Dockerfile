# The facemask HTTP API on CPU TensorFlow, serving the shipped model (or whatever is promoted in /state).
#   make image                  (= python deploy/container.py build: docker when a daemon answers, else podman)
#   docker build -t facemask-api . && docker run -p 8000:8000 -e FACEMASK_API_TOKEN=... -v facemask-state:/state facemask-api
# BASE_IMAGE is any Debian-like image with Python 3.11 and venv; podman on the development machines, which cannot
# pull images, builds on one made from Debian packages (deploy/container.py).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=2 FACEMASK_HOME=/state FACEMASK_CACHE=/opt/facemask-cache FACEMASK_PORT=8000 PATH=/opt/venv/bin:$PATH

# A virtual environment: Debian's Python refuses system-wide pip installs.
RUN python3 -m venv /opt/venv

# Dependencies first (pinned in settings.ini, tensorflow-cpu), so code changes reuse this layer.
WORKDIR /app
COPY settings.ini setup.py ./
RUN touch README.md && mkdir facemask && touch facemask/__init__.py && pip install . && pip uninstall -y facemask \
 && rm -rf facemask build *.egg-info README.md

# The package with its shipped model, the face detector (fetched and checked once, here), and the notebooks that
# retraining runs (nbs/train.ipynb); a non-root user owning only the state.
COPY README.md ./
COPY facemask ./facemask
COPY nbs ./nbs
RUN pip install --no-deps -e . \
 && python -c "from facemask.detect import detector_model; print(detector_model())" && chmod -R a+rX /opt/facemask-cache \
 && useradd --create-home --uid 10001 facemask && mkdir /state && chown facemask /state

USER facemask
VOLUME /state
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"FACEMASK_PORT\"]}/health', timeout=4)"
# FACEMASK_PORT moves the server (with host networking, several replicas on one machine need different ports).
ENTRYPOINT ["sh", "-c", "exec facemask serve --host 0.0.0.0 --port \"$FACEMASK_PORT\" \"$@\"", "facemask"]
CMD ["--workers", "2"]
