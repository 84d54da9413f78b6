"""Benchmark: wall time of a one-click retraining with N new images on the full real data (`make bench-retrain`).

Builds a throw-away FACEMASK_HOME whose dataset is ../shared/data/faces minus N randomly held-out
images (linked, never copied), then times `facemask retrain --data <the N images>`: checking and
staging the upload, importing it into a new dataset version, fine-tuning production, evaluating
challenger and production on the frozen test split, and the decision.
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from facemask.core import CLASS_NAMES

sys.path.insert(0, str(Path(__file__).parents[1]))   # tests/: the helpers the benches share with the tests
from conftest import FACEMASK  # noqa: E402



def link_tree(files: list, faces: Path, root: Path) -> Path:
    "Symlink `files` (paths under `faces/<source>/<class>/`) into the same layout under `root`."
    for f in files:
        dest = root / f.relative_to(faces)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.symlink_to(f)
    return root


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--faces', default=str(Path(__file__).resolve().parents[3] / 'shared' / 'data' / 'faces'))
    p.add_argument('--new', type=int, default=200, help='images held out and then uploaded (default: %(default)s)')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args()
    faces = Path(args.faces).resolve()   # the links must not depend on the working directory
    files = sorted(f for c in CLASS_NAMES for f in faces.glob(f'*/{c}/*.jpg'))
    if not files: raise SystemExit(f'no images under {faces}/<source>/<class>/')
    held_out = set(random.Random(args.seed).sample(files, args.new))
    work = Path(tempfile.mkdtemp(prefix='facemask-bench-retrain-'))
    env = {**os.environ, 'FACEMASK_HOME': str(work / 'home')}
    base = link_tree([f for f in files if f not in held_out], faces, work / 'base')
    new = link_tree(sorted(held_out), faces, work / 'new')
    print(f'importing {len(files) - args.new} images into {work / "home"} (not timed)', flush=True)
    subprocess.run([FACEMASK, 'data', 'import', str(base), '--show', '0'], env=env, check=True, stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    res = subprocess.run([FACEMASK, 'retrain', '--data', *map(str, new.iterdir()), '--show', '5'], env=env, text=True)
    seconds = time.perf_counter() - started
    print(f'\none-click retraining with {args.new} new images on the full real data: {seconds/60:.1f} min wall time '
          f'({os.cpu_count()} cores, exit status {res.returncode}); run folder under {work / "home" / "outputs" / "runs"}')
    sys.exit(res.returncode)


if __name__ == '__main__':
    main()
