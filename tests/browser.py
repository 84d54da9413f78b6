"""Drive the Voilà dashboard in a real browser: Debian's chromium through Playwright.

Shared by the browser tests (`tests/test_dashboard_browser.py`) and the dashboard benchmark
(`tests/bench/bench_dashboard.py`, run by `make bench`), so a new browser test is a few calls:

    with serve_dashboard(home) as dashboard, chromium() as browser:
        page = open_dashboard(browser, dashboard.url)
        [card] = upload(page, 'face.jpg')
        assert shown_result(card)['label'] == 'with_mask'
        select_tab(page, 'Model')
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from conftest import FACEMASK
from facemask.core import free_port

CHROMIUM = '/usr/bin/chromium'                               # Debian's chromium: Playwright cannot download its own here
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
                 '--no-first-run', '--disable-sync', '--disable-quic']
SERVER_START_S = 120      # Voilà up and its kernel preheated (TensorFlow import + build_app) on 2 busy cores
PAGE_TIMEOUT_MS = 60_000  # any single wait in the page: a prediction, a tab's figures
PREDICT_UPLOAD = 'button.fm-predict-upload'   # the Predict tab's upload button (the Retrain tab has its own)


POOL_FILLED = 'Kernel pool of dashboard.ipynb is filled'   # Voilà's log line when it has started a kernel for the next visitor


@dataclass
class Dashboard:
    "A running `facemask app`: its URL, process and log."
    url: str
    server: subprocess.Popen
    log: Path
    kernels_preheated: int = 0

    def wait_until_preheated(self, timeout: float = SERVER_START_S):
        """Wait until Voilà has a kernel preheated for the next visitor: at start, and again after each page took one.

        Without asking for the page, which would take the kernel. Voilà logs "pool is filled" as soon as
        a kernel has started, before the notebook has run in it, so preheating is over when, after that
        line, the server and its kernels stop using the CPU."""
        deadline = time.monotonic() + timeout
        while self.log.read_text(errors='replace').count(POOL_FILLED) <= self.kernels_preheated:
            if self.server.poll() is not None:
                raise RuntimeError(f'facemask app exited with {self.server.returncode}:\n{self.log.read_text()}')
            if time.monotonic() > deadline: raise TimeoutError(f'no kernel preheated after {timeout} s:\n{self.log.read_text()}')
            time.sleep(0.2)
        self.kernels_preheated += 1
        wait_until_idle(self.server.pid, deadline)


@contextmanager
def serve_dashboard(home: Path, log: Path | None = None, host: str = '127.0.0.1', env: dict | None = None):
    """Run `facemask app --host host` with `FACEMASK_HOME=home` (and `env`) on a free port; yield a `Dashboard` once its kernel is
    preheated. The page is opened on loopback whatever `host` is (0.0.0.0 listens on every address, loopback included).

    The server runs in its own process group and is stopped when the block ends, even on failure, with
    its kernels (they run in sessions of their own). Its output goes to `log` (default: a file in the
    temporary folder named after the port), quoted in the error if it never becomes ready."""
    port = free_port()
    log = Path(log or Path(tempfile.gettempdir()) / f'facemask-voila-{port}.log')
    with open(log, 'wb') as out:
        server = subprocess.Popen([FACEMASK, 'app', '--port', str(port), '--host', host], stdout=out, stderr=subprocess.STDOUT,
                                  env={**os.environ, 'FACEMASK_HOME': str(home), **(env or {})}, start_new_session=True)
    try:
        dashboard = Dashboard(f'http://127.0.0.1:{port}/', server, log)
        dashboard.wait_until_preheated()
        yield dashboard
    finally:
        stop(server)


def stop(server: subprocess.Popen, grace_s: float = 20):
    "Stop `server`'s process group and every process it started (SIGTERM, then SIGKILL after `grace_s`)."
    try: started = psutil.Process(server.pid).children(recursive=True)
    except psutil.NoSuchProcess: started = []
    os.killpg(server.pid, signal.SIGTERM)
    try: server.wait(timeout=grace_s)
    except subprocess.TimeoutExpired: os.killpg(server.pid, signal.SIGKILL); server.wait()
    for p in psutil.wait_procs(started, timeout=grace_s)[1]: p.kill()


def wait_until_idle(pid: int, deadline: float, busy_cpu_s: float = 0.1, window_s: float = 1.0):
    "Wait until process `pid` and its children use less than `busy_cpu_s` CPU seconds in `window_s` (or until `deadline`)."
    def cpu_seconds():
        total = 0.0
        root = psutil.Process(pid)
        for p in [root, *root.children(recursive=True)]:
            try: total += sum(p.cpu_times()[:2])
            except psutil.NoSuchProcess: pass
        return total
    before = cpu_seconds()
    while time.monotonic() < deadline:
        time.sleep(window_s)
        now = cpu_seconds()
        if now - before < busy_cpu_s: return
        before = now
    raise TimeoutError(f'process {pid} was still busy at the deadline')


@contextmanager
def chromium(fake_camera: Path | None = None):
    "A headless Debian chromium driven by Playwright; its camera plays the `fake_camera` clip (.y4m, looped), allowed without asking."
    camera = [] if fake_camera is None else ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
                                             f'--use-file-for-fake-video-capture={fake_camera}']
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + camera)
        try: yield browser
        finally: browser.close()


def _ycbcr420(frame: Image.Image):
    "The planes of `frame` (even sides) as a 4:2:0 camera sends them: full-size Y, half-size Cb and Cr."
    y, cb, cr = frame.convert('RGB').convert('YCbCr').split()
    half = (frame.width // 2, frame.height // 2)
    return y, cb.resize(half, Image.BOX), cr.resize(half, Image.BOX)


def camera_view(frame: Image.Image) -> Image.Image:
    "`frame` as Chromium's fake camera shows it after the YCbCr 4:2:0 round trip of a Y4M clip."
    y, cb, cr = _ycbcr420(frame)
    return Image.merge('YCbCr', (y, cb.resize(frame.size, Image.BILINEAR), cr.resize(frame.size, Image.BILINEAR))).convert('RGB')


def write_y4m(frame: Image.Image, path: Path, frames: int = 25, fps: int = 25) -> Path:
    "Write `frame` (RGB, even sides) `frames` times as a Y4M clip, the format Chromium's fake camera plays (looped)."
    y, cb, cr = _ycbcr420(frame)
    with open(path, 'wb') as f:
        f.write(f'YUV4MPEG2 W{frame.width} H{frame.height} F{fps}:1 Ip A1:1 C420jpeg\n'.encode())
        for _ in range(frames): f.write(b'FRAME\n' + y.tobytes() + cb.tobytes() + cr.tobytes())
    return Path(path)


def letterbox(im: Image.Image, size=(640, 480)) -> Image.Image:
    "`im` scaled to fit `size`, centred on black: a camera-shaped frame."
    im = im.convert('RGB').copy()
    im.thumbnail(size)
    frame = Image.new('RGB', size)
    frame.paste(im, ((size[0] - im.width) // 2, (size[1] - im.height) // 2))
    return frame


def camera_clip(folder: Path, photos: int = 300, source: str = 'jolignier', min_side: int = 80):
    """A Y4M clip for the fake camera and the face the library finds on its frame: the first of `photos` photos of `source`
    (../shared/data) with one face of `min_side` px or more labelled with probability >= 0.9; without the shared data, a flat
    frame and None. Predicts with the production model of the current FACEMASK_HOME, the one the dashboard serves."""
    from facemask.core import shared_data_dir
    from facemask.faces import predict_faces
    from facemask.predict import Predictor
    from facemask.testing import encode
    predictor, shared = Predictor(), shared_data_dir()
    for photo in sorted((shared / 'photos' / source / 'images').glob('*.jpg'))[:photos] if shared else []:
        frame = letterbox(Image.open(photo))
        faces = predict_faces(predictor, encode(camera_view(frame), 'PNG'), 'frame')['faces']
        if len(faces) == 1 and faces[0]['probabilities'][faces[0]['label']] >= 0.9 and faces[0]['box'][2] - faces[0]['box'][0] >= min_side:
            return write_y4m(frame, Path(folder) / 'camera.y4m'), faces[0]
    return write_y4m(Image.new('RGB', (640, 480), (120, 140, 160)), Path(folder) / 'camera.y4m'), None


def open_dashboard(browser: Browser, url: str, width: int = 1280, height: int = 900) -> Page:
    "A new page on the dashboard, returned once it is interactive (the Predict tab's upload button is shown)."
    page = browser.new_page(viewport={'width': width, 'height': height})
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(url)
    page.locator(PREDICT_UPLOAD).wait_for(state='visible')
    return page


def select_tab(page: Page, title: str):
    "Click the dashboard tab called `title` and wait until it is the current one."
    tab = page.locator(f'.lm-TabBar-tab:has-text("{title}")')
    tab.click()
    expect(tab).to_have_class(re.compile(r'\blm-mod-current\b'))


def start_camera(page: Page, frames: int) -> Locator:
    "Open the Live tab, start the camera and wait until `frames` frames have come back labelled; return the camera widget."
    select_tab(page, 'Live')
    page.locator('.fm-live-toggle').click()
    page.wait_for_function(f"() => Number(document.querySelector('.fm-live').dataset.frames || 0) >= {frames}")
    return page.locator('.fm-live')


def choose_files(page: Page, button: str, files):
    "Click the upload `button` (a selector) and choose `files`: the ipywidgets 8 file input only exists once it is clicked."
    with page.expect_file_chooser() as chooser:
        page.locator(button).click()
    chooser.value.set_files([str(f) for f in files])


def upload(page: Page, *files: Path | str) -> list[Locator]:
    """Upload `files` on the Predict tab; return their result cards (a prediction or an error each), once shown.

    A card is found by the file name it shows, so give each upload of a page a new name."""
    choose_files(page, PREDICT_UPLOAD, files)
    cards = [result_card(page, Path(f).name) for f in files]
    for card in cards: card.wait_for(state='visible')
    return cards


def result_card(page: Page, name: str) -> Locator:
    "The Predict tab's result card for the file called `name`."
    return page.locator('.fm-result').filter(has=page.locator('.fm-name', has_text=re.compile(f'^{re.escape(name)}$')))


def shown_result(card: Locator) -> dict:
    "What a result card shows: `{'label': class, 'probabilities': {class: '97.1%'}}`, or `{'error': message}`."
    if card.locator('.fm-error').count(): return {'error': card.locator('.fm-error').inner_text()}
    bars = card.locator('.fm-prob')
    return {'label': card.locator('.fm-label').get_attribute('data-label'),
            'probabilities': {bars.nth(i).get_attribute('data-class'): bars.nth(i).locator('.fm-prob-value').inner_text()
                              for i in range(bars.count())}}
