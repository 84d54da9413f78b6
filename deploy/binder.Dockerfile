# Binder's build, reproduced with the local base image: what repo2docker does with binder/ (runtime.txt: Python 3.11;
# requirements.txt installed into the environment; postBuild run as the notebook user in the repository), so
# `tests/test_binder.py` can open the dashboard at the badge's URL (/voila/render/nbs/dashboard.ipynb) in Chromium.
#   built by tests/test_binder.py with deploy/container.py (podman or docker, like the API image)
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 TF_CPP_MIN_LOG_LEVEL=2 PATH=/srv/conda/bin:$PATH \
    HOME=/home/jovyan FACEMASK_CACHE=/home/jovyan/.cache/facemask
# repo2docker's user (uid 1000) owns the environment, so postBuild can install into it.
RUN python3 -m venv /srv/conda && useradd --create-home --uid 1000 jovyan && chown -R jovyan /srv/conda
USER jovyan
WORKDIR /home/jovyan
COPY --chown=jovyan binder/requirements.txt binder/requirements.txt
RUN pip install -r binder/requirements.txt
COPY --chown=jovyan . .
RUN bash binder/postBuild
EXPOSE 8888
# Binder starts a Jupyter server; the badge opens Voilà's server extension on the dashboard.
CMD ["jupyter", "server", "--ip=0.0.0.0", "--port=8888", "--ServerApp.token=", "--ServerApp.password="]
