"""Binder, proven here: the environment built as Binder builds it (binder/requirements.txt, runtime.txt, postBuild) in a
container from the local base image, a Jupyter server started in it, and the badge's URL (Voilà's server extension on
nbs/dashboard.ipynb) opened in Chromium: the page becomes interactive and labels an uploaded face. Skipped where no
container engine runs, like the API image's tests."""
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'deploy'))
import container  # noqa: E402
from browser import chromium, open_dashboard, shown_result, upload  # noqa: E402
from facemask.core import CLASS_NAMES, free_port  # noqa: E402
from facemask.testing import encode, noise_image  # noqa: E402

ENGINE = container.engine()
IMAGE = 'localhost/facemask-binder:latest'
pytestmark = pytest.mark.skipif(ENGINE is None, reason='no container engine here: neither a Docker daemon nor podman answers '
                                                       '(the containers guide, nbs/guide/deploy.md, says how to install podman)')


@pytest.fixture(scope='module')
def binder():
    "The Binder image's Jupyter server on a free port; stopped by name."
    container.build(ENGINE, image=IMAGE, dockerfile=ROOT/'deploy'/'binder.Dockerfile')
    name, port = f'facemask-binder-{uuid.uuid4().hex[:8]}', free_port()
    subprocess.run([*ENGINE, 'run', '-d', '--rm', '--name', name, *container.publish(ENGINE, port), IMAGE, 'jupyter', 'server',
                    '--ip=0.0.0.0',
                    f'--port={port}', '--ServerApp.token=', '--ServerApp.password='], check=True, capture_output=True)
    try:
        if not container.answers_health(port, 120, path='/api'):
            pytest.fail('the Binder image\'s Jupyter server did not answer:\n' +
                        subprocess.run([*ENGINE, 'logs', name], capture_output=True, text=True).stderr[-3000:])
        yield f'http://127.0.0.1:{port}'
    finally: container.stop(ENGINE, name)


def test_the_binder_badge_opens_the_dashboard(binder, tmp_path):
    face = tmp_path/'binder_face.jpg'
    face.write_bytes(encode(noise_image(96, 96, seed=5)))
    with chromium() as browser:
        page = open_dashboard(browser, binder + '/voila/render/nbs/dashboard.ipynb')
        [card] = upload(page, face)
        assert shown_result(card)['label'] in CLASS_NAMES
