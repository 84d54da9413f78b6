"""Dashboard timings measured in a real browser (`make bench`): page interactive, and upload → prediction shown.

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
from browser import chromium, open_dashboard, serve_dashboard, upload  # noqa: E402
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


def main(pages: int, uploads: int):
    with tempfile.TemporaryDirectory() as tmp, serve_dashboard(home()) as dashboard, chromium() as browser:
        interactive = []
        for i in range(pages):
            if i: page.close()
            start = time.perf_counter()
            page = open_dashboard(browser, dashboard.url)
            interactive.append(time.perf_counter() - start)
            dashboard.wait_until_preheated()   # the page took the kernel: let Voilà preheat the next one before timing more
        print(f'dashboard (preheated kernel, {pages} page loads): interactive after {fmt(interactive)}', flush=True)
        shown = []
        for f in upload_images(Path(tmp), uploads):
            start = time.perf_counter()
            upload(page, f)
            shown.append(time.perf_counter() - start)
    print(f'upload of one face image → label, probabilities and Grad-CAM shown: first {shown[0]:.2f} s, '
          f'then {fmt(shown[1:])} ({uploads - 1} more uploads)')


def fmt(seconds: list) -> str:
    return f'median {statistics.median(seconds):.2f} s (min {min(seconds):.2f}, max {max(seconds):.2f})'


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--pages', type=int, default=3, help='page loads to time (each on a freshly preheated kernel)')
    ap.add_argument('--uploads', type=int, default=6, help='uploads to time, one image each')
    main(**vars(ap.parse_args()))
