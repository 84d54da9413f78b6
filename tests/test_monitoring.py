"""Compliance over time, as an operator meets it: the API's history per site and its Prometheus metrics (parsed with the
library's parser, summed over two workers, and scraped by a real Prometheus server), `facemask watch --site` on a clip of real
photos with an alert reaching a loopback webhook, `facemask history` and `facemask alerts` on the command line, and a watch
killed mid-window."""
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
import http.server
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from facemask.api import create_app
from facemask.core import CLASS_NAMES, free_port, shared_data_dir
from facemask.testing import encode, noise_image
from conftest import FACEMASK, facemask
from test_api import running_api

FIXED_FACE = (40, 30, 120, 130, 0.95)   # a detector that always finds this face: the API's plumbing without real photos


def samples(text: str) -> dict:
    "`{(name, sorted label items): value}` of a Prometheus exposition, parsed by the library's own parser."
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(text) for s in f.samples}


@pytest.fixture
def fixed_detector(monkeypatch):
    import facemask.faces
    monkeypatch.setattr(facemask.faces, 'face_detector', lambda: (lambda im: [FIXED_FACE]))


def test_api_records_sites_and_exposes_metrics(home, fixed_detector):
    "Photos and a stream of one site add to its history; /metrics counts requests, predictions and faces, and shows the site's hour."
    photo = encode(noise_image(200, 160, seed=5))
    with TestClient(create_app()) as client:
        before = samples(client.get('/metrics').text)   # the counters are this process's: other tests may have counted too
        for _ in range(2):
            r = client.post('/predict/faces?site=door-1', files={'file': ('p.jpg', photo, 'image/jpeg')})
            assert r.status_code == 200 and len(r.json()['faces']) == 1
        r = client.post('/predict/faces?site=door%201', files={'file': ('p.jpg', photo, 'image/jpeg')})
        assert r.status_code == 422 and 'site' in r.json()['error']
        with client.websocket_connect('/ws/faces?site=cam-1') as ws:
            for _ in range(4):
                ws.send_bytes(photo)
                assert len(ws.receive_json()['faces']) == 1
        with client.websocket_connect('/ws/faces?site=no/such') as ws:
            assert ws.receive_json()['status'] == 422
        body = client.get('/metrics')
    assert body.status_code == 200 and body.headers['content-type'].startswith('text/plain')
    after = samples(body.text)
    got = {key: value - before.get(key, 0) if not key[0].startswith(('facemask_site_', 'facemask_model')) else value
           for key, value in after.items()}
    assert got[('facemask_http_requests_total', (('endpoint', '/predict/faces'), ('method', 'POST'), ('status', '200')))] == 2
    assert got[('facemask_http_requests_total', (('endpoint', '/predict/faces'), ('method', 'POST'), ('status', '422')))] == 1
    assert got[('facemask_http_request_duration_seconds_count', (('endpoint', '/predict/faces'),))] == 3
    assert sum(got[('facemask_predictions_total', (('label', c),))] for c in CLASS_NAMES
               if ('facemask_predictions_total', (('label', c),)) in got) >= 6
    assert got[('facemask_faces_per_frame_bucket', (('le', '1.0'),))] >= 6
    assert got[('facemask_model_info', (('version', 'shipped'),))] == 1
    people = lambda site: sum(v for (name, labels), v in got.items() if name == 'facemask_site_people' and ('site', site) in labels)
    assert (people('door-1'), people('cam-1')) == (2, 1)   # a photo's face is a person; a stream's followed face is one person
    rows = json.loads('[' + ','.join(facemask('history', '--json').stdout.splitlines()) + ']')
    assert {(r['site'], r['people'], r['frames']) for r in rows} == {('door-1', 2, 2), ('cam-1', 1, 4)}


def test_two_workers_count_together(home):
    "Under `facemask serve --workers 2` a scrape of either worker reports the requests both answered."
    face = encode(noise_image(64, 64, seed=3))
    with running_api(workers=2) as url, httpx.Client(base_url=url, timeout=30) as http:
        for _ in range(40): assert http.post('/predict', files={'file': ('f.jpg', face, 'image/jpeg')}).status_code == 200
        scrapes = [samples(http.get('/metrics').text) for _ in range(4)]
    key = ('facemask_http_requests_total', (('endpoint', '/predict'), ('method', 'POST'), ('status', '200')))
    assert [s[key] for s in scrapes] == [40] * 4
    assert all(sum(v for (name, _), v in s.items() if name == 'facemask_predictions_total') == 40 for s in scrapes)


def test_prometheus_scrapes_a_running_server(home, tmp_path):
    "Debian's Prometheus scrapes `facemask serve` every second; its query API then answers with our series."
    prometheus = shutil.which('prometheus')
    if prometheus is None: pytest.skip('no prometheus binary (make prometheus installs Debian\'s package)')
    face = encode(noise_image(64, 64, seed=4))
    with running_api(workers=1) as url, httpx.Client(base_url=url, timeout=30) as http:
        for _ in range(5): http.post('/predict', files={'file': ('f.jpg', face, 'image/jpeg')})
        port = free_port()
        (tmp_path / 'prometheus.yml').write_text(
            f"global: {{scrape_interval: 1s}}\nscrape_configs:\n  - job_name: facemask\n    static_configs: [{{targets: ['{url[7:]}']}}]\n")
        proc = subprocess.Popen([prometheus, f'--config.file={tmp_path / "prometheus.yml"}', f'--storage.tsdb.path={tmp_path / "tsdb"}',
                                 f'--web.listen-address=127.0.0.1:{port}'], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            query = lambda q: httpx.get(f'http://127.0.0.1:{port}/api/v1/query', params={'query': q}, timeout=5).json()['data']['result']
            deadline, answer = time.monotonic() + 60, []
            while time.monotonic() < deadline and proc.poll() is None:
                try: answer = query('sum(facemask_http_requests_total{endpoint="/predict"})')
                except (httpx.TransportError, KeyError, ValueError): answer = []
                if answer: break
                time.sleep(0.5)
            assert answer, proc.stderr.read() if proc.poll() is not None else 'no sample scraped in 60 s'
            assert float(answer[0]['value'][1]) == 5
            assert query('up{job="facemask"}')[0]['value'][1] == '1'
            assert query('facemask_model_info')[0]['metric']['version'] == 'shipped'
        finally:
            proc.send_signal(signal.SIGTERM)
            try: proc.wait(15)
            except subprocess.TimeoutExpired: proc.kill(); proc.wait()


class Webhook(http.server.BaseHTTPRequestHandler):
    "A loopback receiver of alerts: each POSTed JSON with when it arrived."
    received = []
    def do_POST(self):
        Webhook.received.append((time.time(), json.loads(self.rfile.read(int(self.headers['Content-Length'])))))
        self.send_response(204); self.end_headers()
    def log_message(self, *args): pass


@pytest.fixture
def webhook():
    Webhook.received = []
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{server.server_address[1]}/alerts'
    server.shutdown()


def real_clip(tmp_path, photos: int = 8) -> Path:
    "A clip panning over real annotated group photos of people without a mask (skipped where ../shared/data is absent)."
    if shared_data_dir() is None: pytest.skip('no ../shared/data here: the real photos are needed to find faces')
    sys.path.insert(0, str(Path(__file__).parent))
    from bench.bench_video import clip_photos
    from facemask.video import write_clip
    return write_clip(clip_photos(photos, splits=None, bare=True), tmp_path / 'clip.mp4')


def test_watch_a_site_then_read_its_history_and_get_its_alert(home, tmp_path, webhook):
    "`watch --site` on real photos records the site; a rule fires once to the webhook; `history` and `alerts` read it back."
    clip = real_clip(tmp_path)
    res = facemask('alerts', '--add', 'entrance-a', '--max-unmasked', '0.2', '--min-people', '3', '--minutes', '60', '--webhook', webhook)
    assert 'rule for entrance-a saved' in res.stderr
    res = facemask('watch', clip, '--site', 'entrance-a', '--started', '2026-12-01T09:00', '--report', tmp_path / 'report.json',
                   '--out', tmp_path / 'blurred.mp4', '--blur')
    report = json.loads((tmp_path / 'report.json').read_text())
    assert 'compliance history of site entrance-a' in res.stdout and '(faces blurred)' in res.stdout
    rows = [json.loads(line) for line in facemask('history', '--site', 'entrance-a', '--since', '2026-12-01', '--json').stdout.splitlines()]
    assert len(rows) == 1 and rows[0]['period'] == '2026-12-01 09:00'
    assert {c: rows[0][f'people_{c}'] for c in CLASS_NAMES} == report['people_per_class']
    assert {c: rows[0][f'faces_{c}'] for c in CLASS_NAMES} == report['faces_per_class']
    assert rows[0]['drift_labels'] is not None   # the shipped model carries its validation reference
    unmasked = sum(report['people_per_class'][c] for c in ('without_mask', 'mask_weared_incorrect')) / len(report['people'])
    assert unmasked > 0.2, report['people_per_class']   # photos of bare faces: a bad hour by this rule
    assert [a['state'] for _, a in Webhook.received] == ['firing'] and Webhook.received[0][1]['site'] == 'entrance-a'
    out = facemask('alerts').stdout
    assert 'entrance-a: over 20%' in out and 'delivered after 1 attempt(s)' in out
    table = facemask('history', '--since', '2026-12-01', '--every', '1d').stdout
    assert table.splitlines()[0].split()[:4] == ['site', 'period', 'people', 'worn'] and 'entrance-a' in table


def test_history_bad_input_is_one_clear_line(home):
    for args, words in [(('history', '--site', 'a b'), "site name 'a b'"), (('history', '--since', 'soon'), "'soon' is not a time"),
                        (('history', '--every', '0h'), "'0h' is not a period"),
                        (('watch', 'x.mp4', '--site', '../up'), "site name '../up'"),
                        (('alerts', '--add', 'gate', '--max-unmasked', '2'), 'between 0 and 1'),
                        (('alerts', '--remove', 'gate'), 'no rule for gate')]:
        res = facemask(*args, check=False)
        assert res.returncode == 1 and words in res.stderr and 'Traceback' not in res.stderr, (args, res.stderr)
    res = facemask('history')
    assert 'no history for any site' in res.stderr and res.stdout == ''


def test_a_watch_killed_mid_window_keeps_what_it_counted(home, tmp_path):
    "A watch killed with SIGKILL (no goodbye) has its frames in the history up to its last flush, 5 s at most before the kill."
    from facemask.video import write_clip
    clip = write_clip([noise_image(320, 240, seed=s) for s in range(40)], tmp_path / 'long.mp4', frames_per_image=50)   # 2,000 frames
    proc = subprocess.Popen([FACEMASK, 'watch', str(clip), '--site', 'killed'], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 120
    history = home / 'outputs' / 'history.sqlite'
    while time.monotonic() < deadline and not history.exists(): time.sleep(0.2)
    time.sleep(6)   # past one more flush
    proc.kill(); proc.wait()
    assert proc.returncode == -signal.SIGKILL
    rows = [json.loads(line) for line in facemask('history', '--site', 'killed', '--json').stdout.splitlines()]
    assert sum(r['frames'] for r in rows) > 0


def test_monitoring_switched_off(home):
    "FACEMASK_METRICS=off and FACEMASK_HISTORY=off (what `loadtest/run.py --targets host-monitoring` measures): no /metrics, no history."
    photo = encode(noise_image(200, 160, seed=6))
    with running_api(workers=1, FACEMASK_METRICS='off', FACEMASK_HISTORY='off') as url, httpx.Client(base_url=url, timeout=30) as http:
        assert http.post('/predict/faces?site=door-9', files={'file': ('p.jpg', photo, 'image/jpeg')}).status_code == 200
        r = http.get('/metrics')
        assert (r.status_code, r.json()) == (404, {'error': 'metrics are off on this server (FACEMASK_METRICS=off)'})
    assert not (home / 'outputs' / 'history.sqlite').exists()
