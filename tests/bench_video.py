"""Video speed, end to end (`make bench`): decode, detect, classify, track, draw and encode a 640×480 clip.

The clip is made from the group photos of the frozen test split (../shared/data/photos, 1 to 5 labelled
faces each), each photo shown for one second while it pans, so faces move and are followed. Prints the
frames per second of `facemask.video.watch` and the detector alone; asserts nothing.
Usage: `python tests/bench_video.py [--photos N]`.
"""
import argparse
import io
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


def clip_photos(n: int) -> list:
    "Up to `n` test-split photos with 1 to 5 labelled faces, alternating between the real-photo sources."
    manifest, picked = load_dataset().manifest, []
    for source in REAL_PHOTO_SOURCES:
        folder = shared_data_dir() / 'photos' / source
        faces = pd.read_csv(folder / 'annotations.csv').groupby('file').size()
        picked.append([folder / 'images' / f for f in split_photos(manifest, source) if 1 <= faces.get(f, 0) <= 5])
    mixed = [p for pair in zip(*picked) for p in pair]
    return [Image.open(p) for p in mixed[:n]]


def main(photos: int):
    if shared_data_dir() is None: raise SystemExit('no ../shared/data/photos: nothing to make the clip from')
    with tempfile.TemporaryDirectory() as tmp:
        clip = write_clip(clip_photos(photos), Path(tmp) / 'clip.mp4')
        detector, times = face_detector(), []
        for _, rgb in frames(open_video(clip)):
            start = time.perf_counter(); detector(rgb); times.append(time.perf_counter() - start)
        print(f'face detector alone on {len(times)} frames of 640x480: median {1000 * statistics.median(times):.1f} ms, '
              f'p95 {1000 * np.percentile(times, 95):.1f} ms per frame')
        report = watch(clip, out=Path(tmp) / 'annotated.mp4', json_lines=io.StringIO(), progress=False)
        faces = sum(report['faces_per_class'].values())
        print(f"facemask watch, end to end (decode, detect, classify, track, draw, encode): {report['frames']} frames of 640x480 "
              f"with {faces / report['frames']:.1f} faces per frame on average: {report['frames_per_second']:.1f} frames/s; "
              f"{len(report['people'])} people counted: " + ', '.join(f'{n} {c}' for c, n in report['people_per_class'].items()))


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--photos', type=int, default=20, help='photos in the clip, one second each (default: %(default)s)')
    main(**vars(ap.parse_args()))
