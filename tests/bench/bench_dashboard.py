"""Dashboard timings measured in a real browser (`make bench`): page interactive, upload → label and heatmap shown, Live tab.

Serves the dashboard from the current FACEMASK_HOME (read only: nothing is trained or promoted) and
prints the figures; it asserts nothing. Usage: `python tests/bench/bench_dashboard.py [--pages N] [--uploads N]`.

Page loads as a new visitor gets them: a fresh headless Chromium each (nothing cached), timed from
navigation until the Predict tab's upload button is shown, on an idle machine (each load waits until
Voilà has preheated the next kernel and everything is idle again), then one face uploaded at once, as a
visitor would. The uploads after that, and the Live tab, run on one page that has stopped loading.
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))   # tests/: the helpers the benches share with the tests
from browser import (PAGE_TIMEOUT_MS, PREDICT_UPLOAD, camera_clip, chromium, open_dashboard, result_card,  # noqa: E402
                     serve_dashboard, start_camera)
from facemask.core import FacemaskError, home  # noqa: E402


def upload_images(folder: Path, n: int) -> list:
    "`n` test images of the newest dataset (real faces), or generated ones without a dataset, written to `folder`."
    from facemask.data import load_dataset
    from facemask.testing import encode, noise_image
    try: sources = [Path(p) for p in load_dataset().paths('test')[:n]]
    except FacemaskError: sources = []
    files = []
    for i in range(n):   # distinct names: the page waits for the card that names each upload
        f = folder / f'upload{i}{sources[i].suffix if i < len(sources) else ".jpg"}'
        f.write_bytes(sources[i].read_bytes() if i < len(sources) else encode(noise_image(96, 96, seed=i)))
        files.append(f)
    return files


def first_visits(dashboard, pages: int, images: list) -> tuple:
    "`pages` visits, each in a fresh browser: seconds until interactive, and until the first upload's label is shown."
    interactive, labelled = [], []
    for image in images[:pages]:
        with chromium() as browser:
            page = browser.new_page(viewport={'width': 1280, 'height': 900})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            start = time.perf_counter()
            page.goto(dashboard.url)
            page.locator(PREDICT_UPLOAD).wait_for(state='visible')
            interactive.append(time.perf_counter() - start)
            labelled.append(label_seconds(page, image))
            page.goto('about:blank')   # leaving runs the page's beforeunload: Voilà shuts its kernel down, as on closing a tab
        dashboard.wait_until_preheated()
    return interactive, labelled


def label_seconds(page, image: Path, heatmap: list | None = None) -> float:
    "Seconds from choosing `image` on the Predict tab until its label is shown (and, into `heatmap`, until its Grad-CAM is)."
    with page.expect_file_chooser() as chooser: page.locator(PREDICT_UPLOAD).click()
    start = time.perf_counter()   # from the moment the file is chosen
    chooser.value.set_files([str(image)])
    card = result_card(page, image.name)
    card.locator('.fm-label').wait_for(state='visible')
    seconds = time.perf_counter() - start
    if heatmap is not None:
        card.locator('img').nth(1).wait_for(state='visible')   # the Grad-CAM overlay, drawn after the label
        heatmap.append(time.perf_counter() - start)
    return seconds


def main(pages: int, uploads: int, live_s: float):
    with tempfile.TemporaryDirectory() as tmp, serve_dashboard(home()) as dashboard:
        images = upload_images(Path(tmp), pages + uploads)
        interactive, first_labels = first_visits(dashboard, pages, images)
        print(f'a new visitor (fresh headless Chromium, idle machine, {pages} visits): interactive after {fmt(interactive)}; '
              f'the first face uploaded at once labelled after {fmt(first_labels, "ms")}', flush=True)
        with chromium(fake_camera=camera_clip(tmp)[0]) as browser:
            page = open_dashboard(browser, dashboard.url)
            heatmap = []
            labelled = [label_seconds(page, image, heatmap) for image in images[pages:]]
            for what, seconds in (('label and probabilities', labelled), ('Grad-CAM heatmap too', heatmap)):
                print(f'one face image chosen for upload → {what} shown ({uploads} uploads on an open page): {fmt(seconds, "ms")}')
            live = start_camera(page, frames=5)
            time.sleep(live_s)   # the figures are over the last 30 frames
            print(f"Live tab (fake camera, 640x480, a photo with one face): {float(live.get_attribute('data-fps')):.1f} frames/s, "
                  f"median {float(live.get_attribute('data-latency-ms')):.0f} ms from grabbing a frame to drawing its boxes "
                  f"({live.get_attribute('data-frames')} frames in all)")


def fmt(seconds: list, unit: str = 's') -> str:
    scale, digits = (1000, 0) if unit == 'ms' else (1, 2)
    return (f'median {statistics.median(seconds) * scale:.{digits}f} {unit} '
            f'(min {min(seconds) * scale:.{digits}f}, max {max(seconds) * scale:.{digits}f})')


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--pages', type=int, default=5, help='visits to time, each in a fresh browser on a freshly preheated kernel')
    ap.add_argument('--uploads', type=int, default=6, help='uploads to time on an open page, one image each')
    ap.add_argument('--live-s', type=float, default=10, help='seconds of Live tab camera to time')
    main(**vars(ap.parse_args()))
