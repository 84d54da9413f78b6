"""Dashboard timings measured in a real browser (`make bench`): page interactive, upload → label and heatmap shown, Live tab.

Serves the dashboard from the current FACEMASK_HOME (read only: nothing is trained or promoted) and
prints the figures; it asserts nothing. Usage: `python tests/bench_dashboard.py [--pages N] [--uploads N]`.
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from browser import PREDICT_UPLOAD, camera_clip, chromium, open_dashboard, result_card, serve_dashboard, start_camera  # noqa: E402
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


def main(pages: int, uploads: int, live_s: float):
    with tempfile.TemporaryDirectory() as tmp, serve_dashboard(home()) as dashboard, chromium(fake_camera=camera_clip(tmp)[0]) as browser:
        interactive = []
        for i in range(pages):
            if i: page.close()
            start = time.perf_counter()
            page = open_dashboard(browser, dashboard.url)
            interactive.append(time.perf_counter() - start)
            dashboard.wait_until_preheated()   # the page took the kernel: let Voilà preheat the next one before timing more
        print(f'dashboard (preheated kernel, {pages} page loads): interactive after {fmt(interactive)}', flush=True)
        labelled, heatmap = [], []
        for f in upload_images(Path(tmp), uploads):
            with page.expect_file_chooser() as chooser: page.locator(PREDICT_UPLOAD).click()
            start = time.perf_counter()   # from the moment the file is chosen
            chooser.value.set_files([str(f)])
            card = result_card(page, f.name)
            card.locator('.fm-label').wait_for(state='visible')
            labelled.append(time.perf_counter() - start)
            card.locator('img').nth(1).wait_for(state='visible')   # the Grad-CAM overlay, drawn after the label
            heatmap.append(time.perf_counter() - start)
        for what, seconds in (('label and probabilities', labelled), ('Grad-CAM heatmap too', heatmap)):
            print(f'one face image chosen for upload → {what} shown: first {seconds[0]:.2f} s, then {fmt(seconds[1:])} ({uploads - 1} more uploads)')
        live = start_camera(page, frames=5)
        time.sleep(live_s)   # the figures are over the last 30 frames
        print(f"Live tab (fake camera, 640x480, a photo with one face): {float(live.get_attribute('data-fps')):.1f} frames/s, "
              f"median {float(live.get_attribute('data-latency-ms')):.0f} ms from grabbing a frame to drawing its boxes "
              f"({live.get_attribute('data-frames')} frames in all)")


def fmt(seconds: list) -> str:
    return f'median {statistics.median(seconds):.2f} s (min {min(seconds):.2f}, max {max(seconds):.2f})'


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--pages', type=int, default=3, help='page loads to time (each on a freshly preheated kernel)')
    ap.add_argument('--uploads', type=int, default=6, help='uploads to time, one image each')
    ap.add_argument('--live-s', type=float, default=10, help='seconds of Live tab camera to time')
    main(**vars(ap.parse_args()))
