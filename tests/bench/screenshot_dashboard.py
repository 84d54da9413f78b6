"""Screenshots of the dashboard's tabs for the README and the dashboard guide (`nbs/images/dashboard_<tab>.png`), from the current FACEMASK_HOME.

Usage: `python tests/bench/screenshot_dashboard.py [OUT_DIR]` (default `nbs/images`). Every face shown is from
`andrewmvd` (CC0, so the screenshots may be published): on the Predict tab the largest test crop of each
class of the newest dataset, on the Live tab a photo played by Chromium's fake camera."""
import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).parents[1]))   # tests/: the helpers the benches share with the tests
from browser import camera_clip, chromium, open_dashboard, select_tab, serve_dashboard, start_camera, upload  # noqa: E402
from facemask.core import CLASS_NAMES, data_dir, home  # noqa: E402
from facemask.data import load_dataset  # noqa: E402


def one_face_per_class(folder: Path) -> list:
    "The largest `andrewmvd` test crop of each class (most are ~43 px: too small to look at), copied to `folder` as `<class>.<ext>`."
    m = load_dataset().manifest
    test = m[(m['split'] == 'test') & (m['source'] == 'andrewmvd')]
    test = test.assign(side=test[['width', 'height']].max(axis=1)).sort_values('side', ascending=False)
    files = []
    for c in CLASS_NAMES:
        src = data_dir() / test[test['label'] == c]['file'].iloc[0]
        files.append(folder / f'{c}{src.suffix}')
        files[-1].write_bytes(src.read_bytes())
    return files


def main(out: Path):
    with tempfile.TemporaryDirectory() as tmp, serve_dashboard(home()) as dashboard, \
            chromium(fake_camera=camera_clip(tmp, 900, 'andrewmvd', 60)[0]) as browser:   # andrewmvd: CC0 photos
        page = open_dashboard(browser, dashboard.url, height=1000)
        for card in upload(page, *one_face_per_class(Path(tmp))):
            expect(card.locator('img')).to_have_count(2, timeout=30_000)   # the face and its Grad-CAM overlay, drawn after the label
        page.screenshot(path=out / 'dashboard_predict.png')
        for tab, figures in (('Data', 4), ('Model', 3)):
            select_tab(page, tab)
            page.locator('.jp-OutputArea-output img:visible').nth(figures - 1).wait_for()
            page.screenshot(path=out / f'dashboard_{tab.lower()}.png')
        start_camera(page, frames=10)
        page.screenshot(path=out / 'dashboard_live.png')
    print(f'screenshots written to {out}')


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('out', nargs='?', type=Path, default=Path(__file__).parents[2] / 'nbs' / 'images',
                    help='folder to write the screenshots to (default: nbs/images)')
    main(**vars(ap.parse_args()))
