"""Network cameras against a real RTSP server (GStreamer's, started on loopback by each test; `make rtsp-server` installs it):
a stream labelled and read again after its server was killed and restarted, a stalled stream noticed, four cameras and two
wrong ones under one supervisor, an MJPEG camera over HTTP, and no password in anything written."""
import functools
import http.server
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from facemask.cameras import StreamReader
from conftest import FACEMASK
from facemask.core import free_port
from facemask.video import write_clip
from rtsp_server import server_available, start_rtsp_server, write_hls

PASSWORD = 'Kx7-not-in-any-output'
pytestmark = pytest.mark.skipif(not server_available() and not os.environ.get('CI'),
                                reason="Debian's GStreamer RTSP server is not installed (make rtsp-server)")


@pytest.fixture(scope='module')
def clip(tmp_path_factory) -> Path:
    "A 640x480 clip of three drawn scenes, 18 s at 25 frames/s, panning: longer than any test reads one stream."
    scenes = []
    for i in range(3):
        im = Image.new('RGB', (400, 300), (60 + 40 * i, 90, 120))
        ImageDraw.Draw(im).ellipse((150, 70, 250, 210), fill=(220, 180, 150))
        scenes.append(im)
    return write_clip(scenes, tmp_path_factory.mktemp('clip') / 'scenes.mp4', frames_per_image=150, pan=1)


def everything_written(*texts, home: Path) -> str:
    "The texts and every file under `home` (bytes as Latin-1), to look for a password in."
    files = [p.read_bytes().decode('latin-1') for p in home.rglob('*') if p.is_file()]
    return '\n'.join([*texts, *files])


def test_watch_labels_a_stream_and_resumes_after_its_server_restarts(home, clip, tmp_path):
    "facemask watch rtsp://: frames labelled; the server killed and restarted: reconnected within 10 s, the gap in the history."
    port = free_port()
    server = start_rtsp_server(port, {'door': clip}, user='viewer', password=PASSWORD)
    report = tmp_path / 'report.json'
    watching = subprocess.Popen([FACEMASK, 'watch', f'rtsp://viewer:${{DOOR_PASSWORD}}@127.0.0.1:{port}/door', '--site', 'door',
                                 '--fps', '10', '--timeout', '3', '--max-backoff', '2', '--max-frames', '60', '--report', report],
                                env={**os.environ, 'DOOR_PASSWORD': PASSWORD}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(4)   # the model loaded, frames labelled
        server.kill(); server.wait()
        time.sleep(3)
        restarted = time.time()
        server = start_rtsp_server(port, {'door': clip}, user='viewer', password=PASSWORD)
        out, err = watching.communicate(timeout=120)
    finally:
        watching.kill(); server.kill(); server.wait()
    assert watching.returncode == 0, err
    stream = json.loads(report.read_text())['stream']
    assert stream['frames_labelled'] == 60 and stream['reconnects'] >= 1, stream
    (gap,) = stream['gaps']
    assert gap['seconds'] >= 3 and gap['end'] - restarted <= 10, (gap, restarted)
    from facemask.history import history_gaps, history_rows
    recorded = history_gaps('door')
    assert len(recorded) == 1 and abs(recorded.loc[0, 'end'] - gap['end']) < 0.01, recorded
    assert history_rows('door')['frames'].sum() == 60
    shown = subprocess.run([FACEMASK, 'history', '--site', 'door', '--since', '1h'], capture_output=True, text=True).stdout
    assert 'network cameras without frames (gaps: 1)' in shown and 'door rtsp://viewer:***@127.0.0.1' in shown, shown
    assert 'receiving again after' in err and '1 gap(s) without frames' in out, (out, err)
    assert PASSWORD not in everything_written(out, err, report.read_text(), home=home)


def test_a_stalled_stream_is_noticed_within_its_timeout(clip):
    "A server that stops sending without closing: the stream reported stalled, then opened again, within its timeout."
    port = free_port()
    server = start_rtsp_server(port, {'door': clip})
    said = []
    reader = StreamReader(f'rtsp://127.0.0.1:{port}/door', 'door', timeout_s=3, log=lambda line: said.append((time.time(), line))).start()
    try:
        frames = reader.frames()
        next(frames)
        os.kill(server.pid, signal.SIGSTOP)
        stalled = time.time()
        while reader.status()['state'] == 'up' and time.time() - stalled < 10: time.sleep(0.1)
        noticed = time.time() - stalled
        while not said and time.time() - stalled < 10: time.sleep(0.1)
    finally:
        os.kill(server.pid, signal.SIGCONT); server.kill(); server.wait(); reader.stop()
    assert reader.frames_read > 0 and noticed <= 3 + 1, noticed
    assert said and said[0][0] - stalled <= 3 * 1.5 and 'the stream sent nothing for' in said[0][1], said


class QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass


def test_an_hls_stream_is_read(clip, tmp_path):
    "HTTP Live Streaming: a playlist of MPEG-TS segments on a loopback HTTP server, read like any stream."
    playlist = write_hls(clip, tmp_path)
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(QuietFiles, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    reader = StreamReader(f'http://127.0.0.1:{server.server_address[1]}/{playlist.name}', 'hls', timeout_s=3).start()
    try: frames = [frame for _, frame in zip(range(30), reader.frames())]
    finally: reader.stop(); server.shutdown(); server.server_close()
    assert [index for index, *_ in frames] == sorted(index for index, *_ in frames) and frames[-1][1].shape == (480, 640, 3)
    assert reader.status()['error'] is None


class Mjpeg(http.server.BaseHTTPRequestHandler):
    "An MJPEG camera: `multipart/x-mixed-replace` JPEG frames at 25 a second until the client goes (the class's `frames`, in turn)."
    frames: list = []
    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Type', 'multipart/x-mixed-replace; boundary=frame')
        self.end_headers()
        try:
            for i in range(25 * 60):
                jpeg = self.frames[i % len(self.frames)]
                self.wfile.write(b'--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%s\r\n' % (len(jpeg), jpeg))
                time.sleep(0.04)
        except (BrokenPipeError, ConnectionResetError): pass
    def log_message(self, *args): pass


def test_an_mjpeg_stream_is_watched_and_its_video_keeps_the_clock(home, tmp_path):
    """An HTTP MJPEG camera through `facemask watch --fps 5 --out`: every labelled frame in the report, and an annotated video
    as long as the watch (written at the --fps cap, each frame shown until the next)."""
    from facemask.testing import encode, noise_image
    from facemask.video import frames, open_video
    Mjpeg.frames = [encode(noise_image(320, 240, seed=s), 'JPEG') for s in range(5)]
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Mjpeg)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out, report, lines = tmp_path / 'annotated.mp4', tmp_path / 'report.json', tmp_path / 'frames.jsonl'
    try: subprocess.run([FACEMASK, 'watch', f'http://127.0.0.1:{server.server_address[1]}/cam.mjpg', '--fps', '5', '--max-frames', '15',
                         '--out', out, '--report', report, '--json', lines], check=True, capture_output=True, text=True, timeout=120)
    finally: server.shutdown(); server.server_close()
    watched, times = json.loads(report.read_text()), [json.loads(line)['time_s'] for line in lines.read_text().splitlines()]
    assert watched['frames'] == len(times) == 15 and watched['stream']['error'] is None
    import cv2
    fps = open_video(out).get(cv2.CAP_PROP_FPS)
    seconds = len(list(frames(open_video(out)))) / fps
    assert abs(seconds - (times[-1] - times[0] + 1 / fps)) <= 1 / fps, (seconds, times)   # the frames' own clock, to a frame


def test_cameras_runs_four_and_reports_the_wrong_ones(home, clip, tmp_path):
    """facemask cameras: four cameras labelled at once; a wrong password and a wrong path each one clear line while the others
    run; --status shows every camera; SIGTERM stops them all, each history written; no password anywhere."""
    port = free_port()
    names = [f'cam{i}' for i in range(4)]
    server = start_rtsp_server(port, {n: clip for n in names}, user='viewer', password=PASSWORD)
    secret = tmp_path / 'secret'
    secret.write_text(PASSWORD + '\n')
    config = tmp_path / 'cameras.toml'
    config.write_text('[defaults]\nfps = 8\ntimeout_s = 3\nmax_backoff_s = 2\n'
                      + ''.join(f'[[camera]]\nname = "{n}"\nurl = "rtsp://viewer@127.0.0.1:{port}/{n}"\npassword_file = "{secret}"\n'
                                f'site = "site-{n}"\n' for n in names)
                      + f'[[camera]]\nname = "wrong-password"\nurl = "rtsp://viewer:nope@127.0.0.1:{port}/cam0"\n'
                      + f'[[camera]]\nname = "wrong-path"\nurl = "rtsp://viewer:{PASSWORD}@127.0.0.1:{port}/nothing"\n')
    supervisor = subprocess.Popen([FACEMASK, 'cameras', config, '--max-frames', '24'], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
    try:
        deadline, status = time.time() + 120, {}
        while time.time() < deadline:
            time.sleep(1)
            res = subprocess.run([FACEMASK, 'cameras', '--status', '--json'], capture_output=True, text=True)
            if res.returncode: continue
            status = {c['camera']: c for c in json.loads(res.stdout)['cameras']}
            if len(status) == 6 and all(status[n]['frames_labelled'] >= 24 for n in names): break
        table = subprocess.run([FACEMASK, 'cameras', '--status'], capture_output=True, text=True).stdout
        supervisor.send_signal(signal.SIGTERM)
        out, err = supervisor.communicate(timeout=60)
    finally:
        supervisor.kill(); server.kill(); server.wait()
    assert supervisor.returncode == 0, err
    assert all(status[n]['state'] == 'up' and status[n]['frames_labelled'] == 24 for n in names), status
    assert status['wrong-password']['state'] == 'down' and status['wrong-path']['state'] == 'down', status
    lines = err.splitlines()
    assert [l for l in lines
            if l.startswith('camera wrong-password:')] == ['camera wrong-password: the camera refused the user name or password']
    assert [l for l in lines if l.startswith('camera wrong-path:')] == [f'camera wrong-path: no stream at /nothing on 127.0.0.1:{port}']
    assert 'supervisor (pid' in table and all(n in table for n in names), table
    from facemask.history import history_rows
    assert all(history_rows(f'site-{n}')['frames'].sum() == 24 for n in names)
    assert PASSWORD not in everything_written(out, err, table, home=home)
