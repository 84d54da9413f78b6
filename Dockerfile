# The facemask HTTP API on CPU TensorFlow, serving the shipped model (or whatever is promoted in /state).
# Not built or run here: the development machines have no Docker engine (see README, "HTTP API").
#   docker build -t facemask .
#   docker run -p 8000:8000 -e FACEMASK_API_TOKEN=... -v facemask-state:/state facemask
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=2 FACEMASK_HOME=/state

# Dependencies first (pinned in settings.ini, tensorflow-cpu), so code changes reuse this layer.
WORKDIR /app
COPY settings.ini setup.py README.md ./
RUN mkdir facemask && touch facemask/__init__.py && pip install . && pip uninstall -y facemask && rm -rf facemask build *.egg-info

# The package with its shipped model, and the notebooks retraining runs (nbs/train.ipynb).
COPY facemask ./facemask
COPY nbs ./nbs
RUN pip install --no-deps -e . \
 && useradd --create-home --uid 10001 facemask && mkdir /state && chown facemask /state

USER facemask
VOLUME /state
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"
ENTRYPOINT ["facemask", "serve", "--host", "0.0.0.0", "--port", "8000"]
CMD ["--workers", "2"]
