"""The API image built and run for real (docker, or podman with this machine's settings): a face gets a label, a bad file
its error, and the container runs as a non-root user with /health as its healthcheck. Skipped where no engine can run."""
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'deploy'))
import container  # noqa: E402
from facemask.core import free_port  # noqa: E402
from facemask.testing import encode, noise_image  # noqa: E402

ENGINE = container.engine()
pytestmark = pytest.mark.skipif(ENGINE is None, reason='no container engine here: neither a Docker daemon nor podman answers '
                                                       '(nbs/guide/deploy.md says how to install podman)')


@pytest.fixture(scope='module')
def api():
    "The image (built, or rebuilt from cached layers) running on a free port with a fresh state volume; stopped by name."
    container.build(ENGINE)
    name, volume, port = f'facemask-test-{uuid.uuid4().hex[:8]}', f'facemask-test-state-{uuid.uuid4().hex[:8]}', free_port()
    container.start(ENGINE, name, port, workers=2, volume=volume)
    try: yield name, f'http://127.0.0.1:{port}'
    finally:
        container.stop(ENGINE, name)
        subprocess.run([*ENGINE, 'volume', 'rm', '-f', volume], capture_output=True)


def test_the_container_predicts_and_refuses_a_bad_file(api):
    _, url = api
    face = httpx.post(url + '/predict', files={'file': ('face.jpg', encode(noise_image(96, 96, seed=3)), 'image/jpeg')}, timeout=60)
    assert face.status_code == 200 and face.json()['model_version'] == 'shipped' and face.json()['label']
    bad = httpx.post(url + '/predict', files={'file': ('notes.jpg', b'these are notes', 'image/jpeg')}, timeout=60)
    assert bad.status_code == 415 and bad.json()['error'].startswith('notes.jpg: not an image')


def test_the_container_runs_as_a_user_with_a_healthcheck(api):
    name, _ = api
    assert subprocess.run([*ENGINE, 'exec', name, 'id', '-u'], capture_output=True, text=True).stdout.strip() == '10001'
    health = subprocess.run([*ENGINE, 'inspect', name, '--format', '{{json .Config.Healthcheck}}'], capture_output=True, text=True).stdout
    assert '/health' in health


def test_replicas_behind_nginx_serve_and_share_a_promotion():
    "2 replicas sharing one state volume behind nginx: a model trained and promoted inside one is served by both, no restart."
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'loadtest'))
    from replicas import promotion_reaches_every_replica
    container.build(ENGINE)
    result = promotion_reaches_every_replica(ENGINE)
    assert set(result['before'].values()) == {'shipped'} and len(result['reached_after_s']) == 2
    assert max(result['reached_after_s'].values()) < 30
