"""Screenshots of the dashboard's seven tabs for the README and the dashboard guide (`nbs/images/dashboard_<tab>.png`).

Usage: `python tests/bench/screenshot_dashboard.py [OUT_DIR]` (default `nbs/images`). The dashboard is served from a scratch
FACEMASK_HOME that shares the current home's datasets and has everything else of its own: a review queue filled by
`facemask predict --collect` on real test faces, and a day of compliance history recorded by `facemask watch --site` on the
day clip of `make bench-history` (group photos of the test split spread over the last 24 hours). Every face shown is from
`andrewmvd` (CC0, so the screenshots may be published): on the Predict tab the largest test crop of each class of the newest
dataset, on the Review tab the largest test crops, on the Live tab a photo played by Chromium's fake camera."""
import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).parents[1]))   # tests/: the helpers the benches share with the tests
from bench_history import day_clip  # noqa: E402
from browser import camera_clip, chromium, open_dashboard, select_tab, serve_dashboard, start_camera, upload  # noqa: E402
from conftest import FACEMASK  # noqa: E402
from facemask.core import CLASS_NAMES, data_dir  # noqa: E402
from facemask.data import load_dataset  # noqa: E402

SITE = 'entrance'


def largest_test_faces(per_class: int) -> dict:
    "The `per_class` largest `andrewmvd` test crops of each class (most are ~43 px: too small to look at): `{class: [files]}`."
    m = load_dataset().manifest
    test = m[(m['split'] == 'test') & (m['source'] == 'andrewmvd')]
    test = test.assign(side=test[['width', 'height']].max(axis=1)).sort_values('side', ascending=False)
    return {c: [data_dir() / f for f in test[test['label'] == c]['file'].iloc[:per_class]] for c in CLASS_NAMES}


def one_face_per_class(folder: Path) -> list:
    "The largest test crop of each class, copied to `folder` as `<class>.<ext>` (the name the Predict tab's cards show)."
    files = []
    for c, (src, *_) in largest_test_faces(1).items():
        files.append(folder / f'{c}{src.suffix}')
        files[-1].write_bytes(src.read_bytes())
    return files


def scratch_home(folder: Path) -> Path:
    "A FACEMASK_HOME with the current home's datasets (and their images) and a review queue and a day of history of its own."
    scratch = folder / 'home'
    (scratch / 'data').mkdir(parents=True)
    for shared in ('datasets', 'store'):   # read only; the review queue and every cache go to the scratch home
        (scratch / 'data' / shared).symlink_to(data_dir() / shared)
    env = {**os.environ, 'FACEMASK_HOME': str(scratch), 'FACEMASK_REVIEW_SAMPLE': '1'}   # every face kept, the sure ones too
    faces = [f for files in largest_test_faces(6).values() for f in files]
    subprocess.run([FACEMASK, 'predict', '--collect', *map(str, faces)], env=env, check=True, stdout=subprocess.DEVNULL)
    clip, _ = day_clip(240, folder)
    subprocess.run([FACEMASK, 'watch', str(clip), '--site', SITE, '--started', '24h'], env=env, check=True, stdout=subprocess.DEVNULL)
    return scratch


def main(out: Path):
    with tempfile.TemporaryDirectory() as tmp, serve_dashboard(scratch_home(Path(tmp))) as dashboard, \
            chromium(fake_camera=camera_clip(tmp, 900, 'andrewmvd', 60)[0]) as browser:   # andrewmvd: CC0 photos
        page = open_dashboard(browser, dashboard.url, height=1000)
        for card in upload(page, *one_face_per_class(Path(tmp))):
            expect(card.locator('img')).to_have_count(2, timeout=30_000)   # the face and its Grad-CAM overlay, drawn after the label
        page.screenshot(path=out / 'dashboard_predict.png')
        select_tab(page, 'Review')
        expect(page.locator('.fm-review-face img').first).to_be_visible()
        page.screenshot(path=out / 'dashboard_review.png')
        select_tab(page, 'Monitor')
        page.locator('select[multiple]:visible').select_option([SITE])
        expect(page.locator('img.fm-monitor-chart')).to_be_visible()
        page.screenshot(path=out / 'dashboard_monitor.png')
        for tab, figures in (('Data', 4), ('Model', 3)):
            select_tab(page, tab)
            page.locator('.jp-OutputArea-output img:visible').nth(figures - 1).wait_for()
            page.screenshot(path=out / f'dashboard_{tab.lower()}.png')
        select_tab(page, 'Retrain')
        expect(page.locator('button.widget-upload:visible', has_text='Choose images')).to_be_visible()
        page.screenshot(path=out / 'dashboard_retrain.png')
        start_camera(page, frames=10)
        page.screenshot(path=out / 'dashboard_live.png')
    print(f'screenshots of the seven tabs written to {out}')


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('out', nargs='?', type=Path, default=Path(__file__).parents[2] / 'nbs' / 'images',
                    help='folder to write the screenshots to (default: nbs/images)')
    main(**vars(ap.parse_args()))
