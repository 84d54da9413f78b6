"""Benchmark: what the review queue puts first (`make bench-queue`). The model that ships, the product's own collector, real cameras.

- Cameras: the validation and test photos (the project's frozen split) of each real-photo source, photos the model never
  trained on, one camera per source; every photo through `facemask.faces.predict_faces` with a `Collector` at its default
  settings (what `--collect` does), in a throw-away FACEMASK_HOME, with the production model of the current home (the shipped
  one unless a run was promoted).
- Each detected face is matched to the photo's annotations (IoU >= 0.4, one to one, `facemask.faces.match_faces`): an annotated
  face or not a face; the model's mistake when its label differs from the annotation.
- Per camera: the queue's first `--first` entries (the Review tab's order) against every detected face (the camera's own rate)
  and against `--first` faces picked at random (mean of 20 draws): share that are faces, share that are the model's mistakes,
  share that are incorrectly worn masks (shares of all entries), and how many times the camera's own rate the last two are:
  among all its detections (`x detections`) and among its annotated faces only (`x faces`).
Prints one table and writes `--out`/results.json; asserts nothing.
"""
import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_site import oracle_labels  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def camera_faces(model: Path, site_dir: Path, photos: list) -> tuple:
    "`(faces, queue ids)`: every detected face of `photos` with its annotation (None: not a face), and the queue it left."
    from facemask.faces import predict_faces
    from facemask.predict import Predictor
    from facemask.review import NOT_A_FACE, Collector, purge, queue_faces
    purge(labelled=True)
    predictor, collector, boxes = Predictor(model), Collector('cli'), {}
    for name in photos:
        for f in predict_faces(predictor, site_dir / 'images' / name, name, collector=collector)['faces']:
            boxes[f['id']] = [name, f['box'], f['label']]
    collector.close()
    truth = oracle_labels(boxes, site_dir)   # the site bench's matching of detections to annotations
    faces = {i: {'predicted': predicted, 'truth': None if truth[i] == NOT_A_FACE else truth[i]} for i, (_, _, predicted) in boxes.items()}
    return faces, [f['id'] for f in queue_faces()]


def shares(faces: dict, ids: list) -> dict:
    "Shares of `ids` that are annotated faces, the model's mistakes and incorrectly worn masks."
    rows = [faces[i] for i in ids]
    is_face = [r['truth'] is not None for r in rows]
    return {'n': len(rows), 'faces': float(np.mean(is_face)) if rows else None,
            'mistakes': float(np.mean([f and r['predicted'] != r['truth'] for r, f in zip(rows, is_face)])) if rows else None,
            'incorrectly worn': float(np.mean([r['truth'] == 'mask_weared_incorrect' for r in rows])) if rows else None}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--photos', default=str(ROOT.parent / 'shared' / 'data' / 'photos'))
    p.add_argument('--first', type=int, default=100, help='queue entries a person labels first (default: %(default)s)')
    p.add_argument('--out', default=str(ROOT / 'outputs' / 'bench' / 'queue'))
    args = p.parse_args()
    from facemask.core import REAL_PHOTO_SOURCES
    from facemask.data import load_dataset
    from facemask.faces import split_photos
    from facemask.served import production_dir
    manifest, model = load_dataset().manifest, production_dir()
    os.environ['FACEMASK_HOME'] = tempfile.mkdtemp(prefix='bench-queue-')   # the queue goes to a throw-away home
    rows = []
    for source in REAL_PHOTO_SOURCES:
        site_dir = Path(args.photos) / source
        annotated = set(pd.read_csv(site_dir / 'annotations.csv')['file'])
        photos = sorted((set(split_photos(manifest, source, 'val')) | set(split_photos(manifest, source, 'test'))) & annotated)
        faces, queue = camera_faces(model, site_dir, photos)
        ids = list(faces)
        picks = [shares(faces, random.Random(seed).sample(ids, min(args.first, len(ids)))) for seed in range(20)]
        camera = shares(faces, ids)
        for name, s in ((f'queue, first {args.first}', shares(faces, queue[:args.first])), ('every detected face', camera),
                        (f'{args.first} at random (mean of 20)', {k: float(np.mean([q[k] for q in picks])) for k in picks[0]})):
            rows.append({'camera': f'{source} ({len(photos)} photos)', 'faces offered': name, **s, 'queue size': len(queue),
                         # how many times the camera's rate: among all its detections, and among its annotated faces only
                         **{f'{k} x detections': s[k] / camera[k] for k in ('mistakes', 'incorrectly worn')},
                         **{f'{k} x faces': s[k] / (camera[k] / camera['faces']) for k in ('mistakes', 'incorrectly worn')}})
    table = pd.DataFrame(rows)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / 'results.json').write_text(table.to_json(orient='records', indent=1))
    print(f'model: {model}\n')
    print(table.round(3).to_string(index=False))


if __name__ == '__main__':
    sys.exit(main())
