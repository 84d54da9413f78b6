"""The HTTP API: every endpoint through FastAPI's TestClient, the bad-input corpus, the token rules, and a real
uvicorn (`facemask serve`) on a free loopback port taking a bounded burst of concurrent requests."""
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from corpus import bad_input_corpus, zip_slip_archive
from conftest import FACEMASK
from facemask.api import MAX_MB_ENV, TOKEN_ENV, create_app
from facemask.core import CLASS_NAMES, free_port
from facemask.testing import encode, make_class_tree, noise_image

TOKEN = 'test-token'
AUTH = {'Authorization': f'Bearer {TOKEN}'}
FACE = encode(noise_image(64, 64, seed=11))
# the status each kind of rejection gets: not an image at all 415, an unusable image 422
REJECTED_STATUS = {'not an image': 415, 'empty file': 422, 'truncated': 422, 'decompression bomb': 422, 'too small': 422}


@pytest.fixture
def client(home, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with TestClient(create_app()) as c: yield c


def jpeg(data: bytes) -> dict: return {'content': data, 'headers': {'content-type': 'image/jpeg'}}


@pytest.mark.parametrize('name', list(bad_input_corpus()))
def test_corpus_gets_the_right_status_and_reason(client, name):
    data, expected = bad_input_corpus()[name]
    r = client.post('/predict', files={'file': (name, data, 'application/octet-stream')})
    if expected is None:
        assert r.status_code == 200 and r.json()['label'] in CLASS_NAMES
    else:
        assert r.status_code == REJECTED_STATUS[expected], r.json()
        assert r.json()['error'].startswith(f'{name}: ') and expected in r.json()['error']


def test_too_large_is_413_before_reading(home, monkeypatch):
    monkeypatch.setenv(MAX_MB_ENV, '1')
    with TestClient(create_app()) as c:
        r = c.post('/predict', **jpeg(b'\xff' * (2**20 + 1)))
        assert (r.status_code, r.json()) == (413, {'error': 'request body too large (limit 1 MB)'})
        assert c.post('/predict', **jpeg(FACE)).status_code == 200


def test_health_model_and_docs(client):
    assert client.get('/health').json() == {'status': 'ok', 'model_version': 'shipped'}
    model = client.get('/model').json()
    assert model['model_version'] == 'shipped' and model['metrics']['test'] and model['card'].startswith('# facemask model')
    paths = client.get('/openapi.json').json()['paths']
    assert {'/predict', '/predict/batch', '/predict/faces', '/uploads', '/retrain', '/runs', '/runs/{run_id}',
            '/runs/{run_id}/promote', '/runs/{run_id}/cancel', '/rollback', '/health', '/model'} <= set(paths)
    assert 'multipart/form-data' in paths['/predict']['post']['requestBody']['content']
    form = lambda path: paths[path]['post']['requestBody']['content']['multipart/form-data']['schema']
    # what the server refuses, the schema says: a client generated from it cannot send a form without files, or loose images unlabelled
    assert (form('/predict/batch')['properties']['files']['minItems'], form('/predict/batch')['properties']['files']['maxItems']) == (1, 64)
    assert form('/uploads')['required'] == ['files', 'label'] and form('/uploads')['properties']['label']['enum'] == list(CLASS_NAMES)
    assert client.post('/predict/batch', files={'other': ('a.jpg', FACE, 'image/jpeg')}).status_code == 422
    assert client.get('/docs').status_code == 200


def test_predict_multipart_and_raw_agree(client):
    form = client.post('/predict', files={'file': ('face.jpg', FACE, 'image/jpeg')}).json()
    raw = client.post('/predict?name=face.jpg', **jpeg(FACE)).json()
    # each prediction its own id
    assert {**form, 'id': None} == {**raw, 'id': None} and form['file'] == 'face.jpg' and form['id'] != raw['id']
    assert abs(sum(form['probabilities'].values()) - 1) < 0.01   # the int8 model's outputs come in steps of 1/256
    assert form['label'] == max(form['probabilities'], key=form['probabilities'].get)


def test_batch_reports_each_file(client):
    corpus = bad_input_corpus()
    files = [('files', (name, data, 'image/jpeg')) for name, (data, _) in corpus.items()]
    results = client.post('/predict/batch', files=files).json()
    assert [r['file'] for r in results] == list(corpus)
    for r, (data, expected) in zip(results, corpus.values()):
        if expected is None: assert r['label'] in CLASS_NAMES
        else: assert expected in r['error'] and r['status'] == REJECTED_STATUS[expected]


def test_faces_answers_with_a_list(client):
    r = client.post('/predict/faces', files={'file': ('wall.jpg', encode(Image.new('RGB', (320, 240), (120, 140, 160))), 'image/jpeg')})
    assert r.status_code == 200 and r.json()['faces'] == [] and r.json()['model_version'] == 'shipped'
    assert client.post('/predict/faces', **jpeg(b'GIF89a nonsense')).status_code == 415


@pytest.mark.parametrize('method,path', [('post', '/uploads'), ('post', '/retrain'), ('post', '/runs/x/promote'),
                                         ('post', '/runs/x/cancel'), ('post', '/rollback')])
def test_changes_need_the_token(client, monkeypatch, method, path):
    assert getattr(client, method)(path).status_code == 401
    assert getattr(client, method)(path, headers={'Authorization': 'Bearer wrong'}).status_code == 403
    assert getattr(client, method)(path, headers={'Authorization': f'Basic {TOKEN}'}).status_code == 401
    monkeypatch.delenv(TOKEN_ENV)
    r = getattr(client, method)(path, headers=AUTH)
    assert r.status_code == 503 and 'no API token is configured' in r.json()['error']


def test_token_from_the_outputs_file(home, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    (home / 'outputs').mkdir()
    (home / 'outputs' / 'api_token').write_text('from-file\n')
    with TestClient(create_app()) as c:
        assert c.post('/rollback', headers={'Authorization': 'Bearer from-file'}).status_code == 409   # authorised; nothing to roll back
        assert c.post('/rollback', headers=AUTH).status_code == 403


def test_malformed_requests_are_json_errors(client):
    for r, status in [(client.post('/predict', content=b'x', headers={'content-type': 'text/plain'}), 415),
                      (client.post('/predict', content=b'--x\r\nbroken', headers={'content-type': 'multipart/form-data; boundary=x'}), 422),
                      (client.post('/predict', content=b'--x\r\nbroken', headers={'content-type': 'multipart/form-data'}), 400),
                      (client.post('/retrain', content=b'{not json', headers={**AUTH, 'content-type': 'application/json'}), 422),
                      (client.post('/retrain', json=[1, 2], headers=AUTH), 422),
                      (client.get('/nowhere'), 404), (client.delete('/predict'), 405)]:
        assert r.status_code == status and isinstance(r.json()['error'], str) and 'Traceback' not in r.text, r.text


def test_unexpected_errors_name_no_internals(home):
    app = create_app()

    @app.get('/boom')
    def boom(): raise RuntimeError('secret internal detail')
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get('/boom')
    assert (r.status_code, r.json()) == (500, {'error': 'internal server error (logged on the server)'})


@contextmanager
def running_api(workers: int = 2, **env):
    "`facemask serve --workers N` (as deployed) on a free loopback port with `env` added, stopped by its PID; yields its URL."
    port = free_port()
    proc = subprocess.Popen([FACEMASK, 'serve', '--port', str(port), '--workers', str(workers)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, **env})
    url = f'http://127.0.0.1:{port}'
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url + '/health', timeout=2).status_code == 200: break
        except httpx.TransportError: time.sleep(0.3)
    else: pytest.fail(f'the server did not start: {proc.communicate(timeout=10)[0] if proc.poll() is not None else "no answer in 120 s"}')
    try: yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try: proc.wait(15)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait()


@pytest.fixture
def server(home):
    with running_api() as url: yield url


@pytest.mark.slow   # a real server
def test_real_server_takes_a_concurrent_burst(server):
    "400 requests from 16 threads (good faces of varied size, every corpus file, oversized bodies): each gets its status, none fails."
    corpus = bad_input_corpus()
    expected = {name: 200 if why is None else REJECTED_STATUS[why] for name, (_, why) in corpus.items()}
    faces = {f'face{side}.jpg': encode(noise_image(side, side, seed=side)) for side in (24, 48, 96, 224, 640)}
    jobs = [(name, data, expected[name]) for name, (data, _) in corpus.items()] + [(n, d, 200) for n, d in faces.items()]
    jobs = (jobs * (400 // len(jobs) + 1))[:398] + [('huge.jpg', b'\0' * (21 * 2**20), 413), ('huge.png', b'\0' * (25 * 2**20), 413)]
    with httpx.Client(base_url=server, timeout=60, limits=httpx.Limits(max_connections=16)) as http:
        def send(job):
            name, data, status = job
            r = http.post('/predict', files={'file': (name, data, 'image/jpeg')})
            return name, status, r.status_code, r.json()
        with ThreadPoolExecutor(16) as pool: results = list(pool.map(send, jobs))
        assert [(n, want, got) for n, want, got, _ in results if want != got] == []
        assert all(('label' in body) == (got == 200) and ('error' in body) == (got != 200) for _, _, got, body in results)
        assert http.get('/health').json()['status'] == 'ok'   # still up after every bad request


def test_uploads_stage_images_and_zips(client, tmp_path):
    tree = make_class_tree(tmp_path / 'clinic', per_class=2, seed=21)
    loose = [('files', (p.name, p.read_bytes(), 'image/png')) for p in sorted((tree / 'with_mask').iterdir())]
    r = client.post('/uploads', files=loose + [('files', ('notes.jpg', b'just text', 'image/jpeg'))], data={'label': 'with_mask'},
                    headers=AUTH)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report['batch'] and report['added'] == 2 and report['added_per_class'] == {'with_mask': 2}
    assert report['rejected'] == [['notes.jpg', 'not an image (no known image format recognised)']]
    again = client.post('/uploads', files=loose, data={'label': 'with_mask'}, headers=AUTH).json()
    assert again['added'] == 0 and len(again['duplicates']) == 2
    archive = zip_slip_archive(tmp_path / 'slip.zip')
    r = client.post('/uploads', files={'files': ('slip.zip', archive.read_bytes(), 'application/zip')}, headers=AUTH).json()
    assert r['added'] == 3 and len(r['rejected']) == 3
    assert all(why.startswith('unsafe path in archive') for _, why in r['rejected']), r['rejected']
    r = client.post('/uploads', files=loose, data={'label': 'beard'}, headers=AUTH)
    assert r.status_code == 400 and 'unknown label "beard"' in r.json()['error']


def test_retrain_is_202_then_409_while_running(client, monkeypatch):
    import facemask.retrain
    from facemask.registry import start_run
    started = []
    monkeypatch.setattr(facemask.retrain, 'start_retrain',
                        lambda params=None: started.append(params) or start_run('retrain', params or {}, pid=os.getpid()))
    r = client.post('/retrain', json={'epochs': 1}, headers=AUTH)
    assert r.status_code == 202 and started == [{'epochs': 1}]
    run_id = r.json()['run_id']
    assert client.get(f'/runs/{run_id}').json()['status'] == 'running'
    assert [x['run_id'] for x in client.get('/runs').json()] == [run_id]
    r = client.post('/retrain', headers=AUTH)
    assert r.status_code == 409 and 'already running' in r.json()['error']
    assert client.post(f'/runs/{run_id}/cancel', headers=AUTH).json() == {'cancelled': run_id}
    assert client.get(f'/runs/{run_id}').json()['status'] == 'cancelled'
    r = client.post(f'/runs/{run_id}/cancel', headers=AUTH)
    assert r.status_code == 409 and 'not running' in r.json()['error']
    r = client.post(f'/runs/{run_id}/promote', headers=AUTH)
    assert r.status_code == 409 and 'only succeeded runs can be promoted' in r.json()['error']


def test_websocket_answers_every_frame_and_survives_bad_ones(client):
    "Frames in, one answer per frame: faces for a good one, an error for a bad one, and the socket stays open."
    from facemask.faces import predict_faces
    from facemask.predict import Predictor
    wall = encode(Image.new('RGB', (320, 240), (120, 140, 160)))
    street = next(iter(sorted((Path(__file__).resolve().parents[2] / 'shared/data/photos/jolignier/images').glob('*.jpg'))), None)
    with client.websocket_connect('/ws/faces') as ws:
        ws.send_bytes(wall)
        assert ws.receive_json() == {'frame': 0, 'file': 'frame 0', 'faces': [], 'model_version': 'shipped'}
        ws.send_bytes(b'GIF89a nonsense')
        bad = ws.receive_json()
        assert bad['frame'] == 1 and bad['status'] == 415 and 'not an image' in bad['error']
        ws.send_text('hello')
        assert ws.receive_json() == {'frame': 2, 'error': 'send each frame as a binary message of JPEG or PNG bytes', 'status': 415}
        if street is not None:   # a real photo: the same faces and labels as predict_faces gives in-process
            ws.send_bytes(street.read_bytes())
            answer = ws.receive_json()
            served = lambda faces: [{k: v for k, v in f.items() if k not in ('id', 'track')} for f in faces]   # ids are new each time
            assert answer['frame'] == 3 and served(answer['faces']) == served(predict_faces(Predictor(), street.read_bytes(),
                                                                                            'frame 3')['faces'])
            assert all(len(f['id']) == 16 for f in answer['faces'])
        ws.send_bytes(wall)
        assert ws.receive_json()['faces'] == []


@pytest.mark.slow   # a real server
def test_websocket_on_the_real_server(server):
    "uvicorn as deployed speaks WebSocket: a bad frame is answered with an error, the next frame still with faces."
    from websockets.sync.client import connect
    with connect(server.replace('http', 'ws') + '/ws/faces', open_timeout=30) as ws:
        ws.send(b'not an image')
        assert json.loads(ws.recv(timeout=30))['status'] == 415
        ws.send(encode(Image.new('RGB', (320, 240), (120, 140, 160))))
        assert json.loads(ws.recv(timeout=30)) == {'frame': 1, 'file': 'frame 1', 'faces': [], 'model_version': 'shipped'}


@pytest.mark.slow   # a real server
def test_corrections_reach_the_queue_through_any_worker(home):
    """`facemask serve --collect` with 2 workers: every prediction can be corrected by its id through POST /feedback, whichever
    worker made it and whichever answers the correction; the faces land labelled in the review queue, each once."""
    from facemask.review import queue_faces, review_counts
    faces = [encode(noise_image(64, 64, seed=500 + i)) for i in range(8)]
    with running_api(workers=2, FACEMASK_COLLECT='1', **{TOKEN_ENV: TOKEN}) as url, httpx.Client(base_url=url, timeout=60) as http:
        ids = [http.post('/predict', files={'file': (f'face{i}.jpg', f, 'image/jpeg')}).json()['id'] for i, f in enumerate(faces)]
        batch = http.post('/predict/batch', files=[('files', ('b.jpg', faces[0], 'image/jpeg'))]).json()
        answers = [http.post('/feedback', json={'id': i, 'label': 'mask_weared_incorrect'}, headers=AUTH) for i in ids + [batch[0]['id']]]
        assert [r.status_code for r in answers] == [200] * 9, [r.text for r in answers]
        twice = http.post('/feedback', json={'id': ids[0], 'label': 'without_mask'}, headers=AUTH)
        assert twice.status_code == 409 and 'already labelled mask_weared_incorrect' in twice.json()['error']
        unknown = http.post('/feedback', json={'id': '0' * 16, 'label': 'with_mask'}, headers=AUTH)
        assert unknown.status_code == 404 and 'no collected prediction' in unknown.json()['error']
    labelled = queue_faces(labelled=True)
    assert sorted(f['id'] for f in labelled) == sorted(ids + [batch[0]['id']])
    assert {f['origin'] for f in labelled} == {'api'} and review_counts()['labelled']['mask_weared_incorrect']['faces'] == 9


def test_a_server_without_collect_keeps_no_face(client):
    r = client.post('/predict', **jpeg(FACE))
    assert r.status_code == 200 and len(r.json()['id']) == 16
    r = client.post('/feedback', json={'id': r.json()['id'], 'label': 'with_mask'}, headers=AUTH)
    assert r.status_code == 404 and 'does not collect' in r.json()['error']
    from facemask.review import review_dir
    assert not (review_dir() / 'faces').exists()


def test_every_body_the_api_needs_is_required(home):
    "The OpenAPI document marks each request body required, so that no client (nor Schemathesis) thinks a bodiless request valid."
    with TestClient(create_app()) as client:
        bodies = {(path, method): op['requestBody'] for path, ops in client.get('/openapi.json').json()['paths'].items()
                  for method, op in ops.items() if 'requestBody' in op}
        assert {('/predict', 'post'), ('/predict/batch', 'post'), ('/uploads', 'post')} <= set(bodies)
        # its parameters may be left out
        assert [where for where, body in bodies.items() if not body.get('required')] == [('/retrain', 'post')]
        assert client.post('/predict/batch', headers=AUTH).status_code == 415   # and without one: what it needs, said


@pytest.mark.slow   # a real server
def test_schemathesis_finds_no_server_error_and_no_undocumented_response(home, tmp_path):
    """A bounded property-based run of Schemathesis against the OpenAPI document, with the token: no 5xx, and every status,
    content type and error body the API returns is the one its document declares."""
    schemathesis = str(Path(sys.executable).parent / 'schemathesis')
    # a request the schema allows is accepted (positive_data_acceptance), except what no schema can say of a file's bytes: not an
    # image (415), too large (413), an unusable image (422), and the states of runs (404, 409); /retrain's parameter values are
    # checked by the trainer (400), which the schema does not repeat. A request without its body is not schema-valid: every body is
    # required (test_every_body_the_api_needs_is_required)
    (tmp_path / 'schemathesis.toml').write_text('[checks.positive_data_acceptance]\n'
                                                'expected-statuses = ["2XX", "404", "409", "413", "415", "422"]\n\n'
                                                '[[operations]]\ninclude-path = "/retrain"\n'
                                                'checks.positive_data_acceptance.expected-statuses = ["2XX", "400", "409"]\n')
    with running_api(workers=1, **{TOKEN_ENV: TOKEN}) as url:
        res = subprocess.run([schemathesis, 'run', f'{url}/openapi.json', '--header', f'Authorization: Bearer {TOKEN}',
                              '--checks', 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,'
                                          'positive_data_acceptance',
                              '--max-examples', '8', '--seed', '1', '--workers', '1', '--no-color', '--generation-database', 'none'],
                             capture_output=True, text=True, timeout=600, cwd=tmp_path)   # its files stay out of the checkout
    assert res.returncode == 0, res.stdout[-6000:]
