"""Video speed, end to end (`make bench`): decode, detect, classify, track, draw and encode a 640×480 clip.

The clip is made from the group photos of the frozen test split (../shared/data/photos, 1 to 5 labelled
faces each), each photo shown for one second while it pans, so faces move and are followed. Prints the
frames per second of `facemask.video.watch` and the detector alone, then `watch` again on a clip of
photos of 3 to 5 faces, all bare (each of them gets the look below the chin), and the first clip without and with
collecting faces for review (`--collect`); asserts nothing.
Usage: `python tests/bench/bench_video.py [--photos N]`.
"""
import argparse
import io
import itertools
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from facemask.core import REAL_PHOTO_SOURCES, shared_data_dir
from facemask.data import load_dataset
from facemask.detect import face_detector
from facemask.faces import split_photos
from facemask.video import frames, open_video, watch, write_clip


def clip_photos(n: int, splits=('test',), faces=(1, 5), bare: bool = False) -> list:
    """Up to `n` photos of `splits` with `faces` (fewest, most) labelled faces, all of them without a mask if `bare`, alternating
    between the real-photo sources; `splits=None`: any annotated photo, in name order (no dataset import needed)."""
    manifest, picked = None if splits is None else load_dataset().manifest, []
    for source in REAL_PHOTO_SOURCES:
        folder = shared_data_dir() / 'photos' / source
        labels = pd.read_csv(folder / 'annotations.csv').groupby('file')['label']
        counts, all_bare = labels.size(), labels.agg(lambda l: (l == 'without_mask').all())
        photos = sorted(counts.index) if splits is None else [f for split in splits for f in split_photos(manifest, source, split)]
        picked.append([folder / 'images' / f for f in photos
                       if faces[0] <= counts.get(f, 0) <= faces[1] and (all_bare.get(f, False) or not bare)])
    mixed = [p for pair in itertools.zip_longest(*picked) for p in pair if p is not None]
    return [Image.open(p) for p in mixed[:n]]


def watch_line(clip: Path, what: str) -> str:
    "`facemask.video.watch` on `clip` (annotated video and JSON lines written), in one line: frames/s and people counted."
    report = watch(clip, out=clip.with_name('annotated.mp4'), json_lines=io.StringIO(), progress=False)
    faces = sum(report['faces_per_class'].values())
    return (f"facemask watch, end to end (decode, detect, classify, track, draw, encode), {what}: {report['frames']} frames of 640x480 "
            f"with {faces / report['frames']:.1f} faces per frame on average: {report['frames_per_second']:.1f} frames/s; "
            f"{len(report['people'])} people counted: " + ', '.join(f'{n} {c}' for c, n in report['people_per_class'].items()))


def collecting_cost(clip: Path, rounds: int = 2) -> str:
    """`facemask watch` on `clip` without and with `--collect`, alternating, in a throw-away FACEMASK_HOME (the shipped model; the
    faces kept are removed with it): frames/s of each run, and how many people were kept for review."""
    import json, os, re, subprocess, sys
    facemask = str(Path(sys.executable).parent / 'facemask')
    speeds = {'without': [], 'with --collect': []}
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, 'FACEMASK_HOME': home}
        for _ in range(rounds):
            for what, flags in (('without', []), ('with --collect', ['--collect'])):
                out = subprocess.run([facemask, 'watch', str(clip), *flags], capture_output=True, text=True, env=env, check=True).stdout
                speeds[what].append(float(re.search(r'\(([\d.]+) frames/s\)', out).group(1)))
        kept = json.loads(subprocess.run([facemask, 'review', '--json'], capture_output=True, text=True, env=env,
                                         check=True).stdout)['waiting']
    return ('facemask watch, the same clip without and with collecting faces for review (alternating; the shipped model): '
            + '; '.join(f'{what} ' + ', '.join(f'{v:.1f}' for v in runs) + ' frames/s' for what, runs in speeds.items())
            + f'; {kept} people kept for review (from {rounds} runs)')


def main(photos: int):
    if shared_data_dir() is None: raise SystemExit('no ../shared/data/photos: nothing to make the clip from')
    with tempfile.TemporaryDirectory() as tmp:
        clip = write_clip(clip_photos(photos), Path(tmp) / 'clip.mp4')
        detector, times = face_detector(), []
        for _, rgb in frames(open_video(clip)):
            start = time.perf_counter(); detector(rgb); times.append(time.perf_counter() - start)
        print(f'face detector alone on {len(times)} frames of 640x480: median {1000 * statistics.median(times):.1f} ms, '
              f'p95 {1000 * np.percentile(times, 95):.1f} ms per frame')
        print(watch_line(clip, 'the photos of the test split'))
        print(collecting_cost(clip))
        print(watch_line(write_clip(clip_photos(photos, splits=('test', 'val'), faces=(3, 5), bare=True), Path(tmp) / 'bare.mp4'),
                         'photos of 3 to 5 faces, all bare'))


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--photos', type=int, default=20, help='photos in the clip, one second each (default: %(default)s)')
    main(**vars(ap.parse_args()))
