"""Benchmark: a site that adapts (`make bench-site`). What the review queue and a retraining do for one site, from shipped data only.

Two deployed models (`--base`):
- `plain`: the plain recipe (`facemask train`, ONet; or with `--recipe shipped` the shipped model's: an EfficientNet teacher and
  its distilled student backed by it) trained without one real-photo source (the site, `jolignier`): its data
  are the other three sources, imported into a throw-away FACEMASK_HOME (linked, never copied). The site's camera is that
  source's train and validation photos (the project's frozen split), passed through the face detector as served with
  collecting on, every face kept (`sample` 1), so the queue's order and a random order pick from the same faces. The site's
  test: its frozen test crops and photos. With `--recipe shipped`, the collector is the product's own.
- `shipped`: the model that ships, in a home with every source imported. The camera is half of the site's frozen test photos
  (by photo), the site's test the other half (its crops and photos); the collector is the product's own, at its defaults.
  The site's camera crops are in the frozen test split, so the frozen figure is also given without them.

- An oracle (the photos' annotations) labels the first N faces, in the Review tab's order or at random; unmatched
  detections are labelled "not a face". With `--corrections N,...`, a person instead corrects N of the model's wrong answers
  on the camera (faces it labelled otherwise than their annotation), as *wrong?* and `POST /feedback` do, nothing else
  labelled. Then `facemask retrain` runs as a click would (timed).
- The score is the site's test crops (incorrect-mask recall, macro-F1, with 95 % bootstrap intervals) and its test
  photos behind the detector (found and labelled right, faces of 32 px or more), measured on the retrained model whether or
  not the promotion rule promoted it, plus its real-photo macro-F1 on the home's own frozen test split (and without the
  camera's crops).

The base model and the camera pass are kept in --work and reused by later calls; each variant of the retraining (-p
NAME VALUE, repeatable per --variant) is measured on copies of that state. Prints one table, writes results.json and a plot.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parents[1]))   # tests/: the helpers the benches share with the tests
from conftest import FACEMASK  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def run(*args, env=None, quiet=False):
    "A facemask command in `env`; its output shown unless `quiet`; a failure stops the bench with its output."
    res = subprocess.run([FACEMASK, *map(str, args)], env=env, text=True, capture_output=True)
    if res.returncode: raise SystemExit(f'facemask {" ".join(map(str, args))} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}')
    if not quiet: print(res.stdout, end='', flush=True)
    return res.stdout


def home_env(home: Path) -> dict:
    "A home's environment; collected predictions stay correctable by id for the whole bench (its corrections come later)."
    return {**os.environ, 'FACEMASK_HOME': str(home), 'FACEMASK_REVIEW_RECENT_MINUTES': '1000000'}


def python(code: str, env: dict, *args) -> str:
    "Run `code` in a Python of this environment with `args`; its last line of output, or the bench stops with its error."
    res = subprocess.run([sys.executable, '-c', code, *map(str, args)], env=env, text=True, capture_output=True)
    if res.returncode: raise SystemExit(f'a step of the bench failed:\n{res.stderr[-4000:]}')
    return res.stdout.splitlines()[-1]


def link_sources(faces: Path, sources: list, root: Path) -> Path:
    "Symlinks to `faces/<source>/<class>/*` for `sources`, under `root` (the import reads them as source folders)."
    for source in sources:
        for f in (faces / source).rglob('*'):
            if f.is_file():
                dest = root / f.relative_to(faces)
                dest.parent.mkdir(parents=True, exist_ok=True)
                if not dest.exists(): dest.symlink_to(f)
    return root


def clone_home(src: Path, dst: Path):
    "A copy of a FACEMASK_HOME: files hard-linked (they are written once, by rename), SQLite databases copied (written in place)."
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, copy_function=lambda s, d: shutil.copy2(s, d) if '.sqlite' in Path(s).name else os.link(s, d))


def site_split(site: str, photos: Path, base: str = 'plain'):
    """`(camera photos, test photos, test crops)` of the site from the project's own dataset (its frozen split), photos that are in
    `photos`: its train and validation photos and its test (`plain`), or two halves of its test photos, by photo (`shipped`)."""
    import zlib
    from facemask.data import crop_photo, load_dataset
    from facemask.faces import split_photos
    m = load_dataset().manifest
    annotated = set(pd.read_csv(photos / 'annotations.csv')['file'])   # some crops name photos the folder does not hold
    test = set(split_photos(m, site, 'test')) & annotated
    if base == 'shipped': camera = {p for p in test if zlib.crc32(p.encode()) % 2 == 0}
    else: camera = (set(split_photos(m, site, 'train')) | set(split_photos(m, site, 'val'))) & annotated
    test_photos = sorted(test - camera)
    crops = m[(m['source'] == site) & (m['split'] == 'test')]
    crops = crops[(crop_photo(crops['original']) + '.jpg').isin(test_photos)] if base == 'shipped' else crops
    return sorted(camera), test_photos, crops


def prepare_base(args, work: Path) -> Path:
    """The deployed model's home: the sources imported (all but the site's for `plain`), the plain recipe trained and promoted
    (`plain`; `shipped` serves the shipped model), the camera collected."""
    base = work / 'base'
    if (base / 'camera.json').exists(): return base
    env = home_env(base / 'home')   # each step below is skipped when an earlier call of the bench did it
    if not (base / 'home' / 'data' / 'datasets' / 'faces' / 'LATEST').exists():
        faces = Path(args.faces).resolve()
        sources = sorted(d.name for d in faces.iterdir() if d.is_dir() and (args.base == 'shipped' or d.name != args.site))
        print(f'importing {", ".join(sources)} into {base / "home"}', flush=True)
        run('data', 'import', link_sources(faces, sources, base / 'sources'), '--show', '0', env=env, quiet=True)
    if args.base == 'plain' and not any(json.loads(line)['production'] for line in run('runs', '--json', env=env, quiet=True).splitlines()):
        started = time.perf_counter()
        if args.recipe == 'shipped':   # the shipped model's recipe: an EfficientNet-Lite0 teacher, its distilled student backed by it
            run('train', '-p', 'arch', 'efficientnet', '-p', 'epochs', 3, '-p', 'learning_rate', 0.0005, '-p', 'seed', args.seed,
                '--no-promote', env=env, quiet=True)
            teacher = json.loads(run('runs', '--json', env=env, quiet=True).splitlines()[-1])['run_id']
            run('train', '-p', 'teacher', teacher, '-p', 'second_stage', 'teacher', '-p', 'seed', args.seed + 1, '--no-promote', env=env,
                quiet=True)
        else: run('train', '-p', 'seed', args.seed, '--no-promote', env=env, quiet=True)
        runs = json.loads(run('runs', '--json', env=env, quiet=True).splitlines()[-1])
        run('promote', runs['run_id'], env=env, quiet=True)
        print(f"deployed model {runs['run_id']}: trained in {(time.perf_counter() - started) / 60:.1f} min", flush=True)
    camera, _, _ = site_split(args.site, Path(args.photos) / args.site, args.base)
    # the queue holds this pass's faces only, should an earlier one have stopped
    run('review', '--purge', '--labelled', env=env, quiet=True)
    code = '''
import json, sys
from pathlib import Path
from facemask.faces import predict_faces
from facemask.predict import Predictor
from facemask.review import Collector
folder, photos = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
sample = None if sys.argv[3] == 'product' else 1.0   # the product's own share, or every face
predictor, collector, boxes = Predictor(), Collector('watch', sample=sample, seed=int(sys.argv[4])), {}
for name in photos:
    for face in predict_faces(predictor, folder / 'images' / name, name, collector=collector)['faces']:
        boxes[face['id']] = [name, face['box'], face['label']]
collector.close()
print(json.dumps(boxes))
'''
    started = time.perf_counter()
    (base / 'camera_photos.json').write_text(json.dumps(camera))
    collector = 'every' if (args.base, args.recipe) == ('plain', 'plain') else 'product'   # the first bench kept every face
    boxes = json.loads(python(code, env, Path(args.photos) / args.site, base / 'camera_photos.json', collector, args.seed))
    print(f'camera: {len(camera)} photos, {len(boxes)} faces found and offered in {time.perf_counter() - started:.0f} s', flush=True)
    (base / 'camera.json').write_text(json.dumps(boxes))
    return base


def oracle_labels(boxes: dict, photos: Path) -> dict:
    "The annotation's label of each detected face (IoU >= 0.4, one to one per photo), 'not_a_face' for the others."
    from facemask.faces import match_faces
    truth = pd.read_csv(photos / 'annotations.csv')
    labels = {}
    by_photo = {}
    for face_id, (name, box, *_) in boxes.items(): by_photo.setdefault(name, []).append((face_id, box))
    for name, found in by_photo.items():
        annotated = truth[truth['file'] == name]
        match = match_faces(np.array([b for _, b in found], float), annotated[['xmin', 'ymin', 'xmax', 'ymax']].to_numpy(float))
        for (face_id, _), m in zip(found, match): labels[face_id] = annotated['label'].iloc[m] if m >= 0 else 'not_a_face'
    return labels


MEASURE = '''
import json, sys
from pathlib import Path
import numpy as np
from facemask.core import CLASS_NAMES
from facemask.images import open_image
from facemask.evaluate import bootstrap_intervals, classification_metrics, decide
from facemask.faces import evaluate_faces, face_report
from facemask.pipeline import label_indices
from facemask.predict import Predictor
folder, crops, run_id = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text()), sys.argv[3]
photos = crops['photos']
from facemask.served import model_dir
predictor = Predictor(model_dir(run_id))
def labelled(files, labels):
    probabilities = predictor.probabilities([open_image(f) for f in files])
    return label_indices(labels), decide(probabilities, predictor.incorrect_threshold)
y, pred = labelled(crops['files'], crops['labels'])
m, iv = classification_metrics(y, pred), bootstrap_intervals(y, pred)
faces = face_report(evaluate_faces(predictor, folder / 'images', folder / 'annotations.csv', photos=photos, progress=False))
print(json.dumps({'crops': {'n': m['n'], 'incorrect_recall': m['incorrect_recall'], 'macro_f1': m['macro_f1'], 'accuracy': m['accuracy'],
                            'intervals': {k: iv[k] for k in ('incorrect_recall', 'macro_f1')}},
                  'photos': {c: v['found_and_right'] for c, v in faces['per_class'].items()},
                  'frozen_real_macro_f1_without_camera':
                      classification_metrics(*labelled(crops['frozen_files'], crops['frozen_labels']))['macro_f1']}))
'''


def frozen_without_camera(site: str, camera: list) -> pd.DataFrame:
    "The frozen test split's real-photo crops but those of the camera's photos (which a retraining may have learnt from)."
    from facemask.core import REAL_PHOTO_SOURCES
    from facemask.data import crop_photo, load_dataset
    m = load_dataset().manifest
    real = m[(m['split'] == 'test') & m['source'].isin(REAL_PHOTO_SOURCES)]
    return real[~((real['source'] == site) & (crop_photo(real['original']) + '.jpg').isin(camera))]


def measure(home: Path, run_id: str, args, test_photos: list, crops: pd.DataFrame, frozen: pd.DataFrame) -> dict:
    """The site's scores of a run's model (its crops and photos) and its real-photo macro-F1 on the home's frozen test split
    (and on `frozen`: without the camera's crops)."""
    from facemask.core import data_dir
    files = [str(data_dir() / f) for f in crops['file']]
    (home / 'site_test.json').write_text(json.dumps({'files': files, 'labels': list(crops['label']), 'photos': test_photos,
                                                     'frozen_files': [str(data_dir() / f) for f in frozen['file']],
                                                     'frozen_labels': list(frozen['label'])}))
    record = json.loads(python(MEASURE, home_env(home), Path(args.photos) / args.site, home / 'site_test.json', run_id))
    if run_id == 'shipped':   # no run in the home: the shipped model, evaluated as a run's headline is
        record['frozen_real_macro_f1'] = json.loads(run('evaluate', 'shipped', '--json', env=home_env(home),
                                                        quiet=True))['real_photos']['macro_f1']
    else:
        runs = {r['run_id']: r for r in map(json.loads, run('runs', '--json', env=home_env(home), quiet=True).splitlines())}
        record['frozen_real_macro_f1'] = runs[run_id]['metrics']['headline']['real_macro_f1']
    return record


def retrain_and_measure(home: Path, params: list, given: list, args, test_photos: list, crops: pd.DataFrame, frozen: pd.DataFrame) -> dict:
    "A retraining of `home` as a click starts it (with `params`, NAME VALUE pairs), timed, and its model's scores."
    started = time.perf_counter()
    run('retrain', *[x for k, v in zip(params[::2], params[1::2]) for x in ('-p', k, v)], env=home_env(home), quiet=True)
    minutes = (time.perf_counter() - started) / 60
    run_id = json.loads(run('runs', '--json', env=home_env(home), quiet=True).splitlines()[-1])
    record = {'incorrect_among': given.count('mask_weared_incorrect'), 'not_faces_among': given.count('not_a_face'),
              'minutes': round(minutes, 2), 'promoted': run_id['production'],
              'kept_start': json.loads((home / 'outputs' / 'runs' / run_id['run_id'] / 'metrics.json').read_text()).get('kept_start'),
              **measure(home, run_id['run_id'], args, test_photos, crops, frozen)}
    shutil.rmtree(home / 'data' / 'cache', ignore_errors=True)   # the image caches are the bulk; the record stays
    return record


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--faces', default=str(ROOT.parent / 'shared' / 'data' / 'faces'))
    p.add_argument('--photos', default=str(ROOT.parent / 'shared' / 'data' / 'photos'))
    p.add_argument('--site', default='jolignier', help='the real-photo source that plays the site (default: %(default)s)')
    p.add_argument('--labels', default='100,200,400', help='numbers of faces labelled, comma-separated (default: %(default)s)')
    p.add_argument('--orders', default='queue,random', help='queue (the Review tab\'s order) and/or random (default: %(default)s)')
    p.add_argument('--variant', nargs='+', action='append', metavar='NAME [PARAM VALUE ...]',
                   help="a retraining to measure: a name, then training parameters in pairs (default: 'default' with none)")
    p.add_argument('--base', choices=('plain', 'shipped'), default='plain',
                   help='the deployed model: the plain recipe without the site (camera: its train+val photos) or the shipped one '
                        '(camera: half its test photos) (default: %(default)s)')
    p.add_argument('--recipe', choices=('plain', 'shipped'), default='plain',
                   help='how the plain base is trained without the site: the plain ONet recipe, or the shipped one (an EfficientNet '
                        'teacher, its distilled student with it as the second stage) (default: %(default)s)')
    p.add_argument('--corrections', default='',
                   help="numbers of the model's wrong answers on the camera a person corrects, comma-separated, "
                                                     "'all' for every one (default: none)")
    p.add_argument('--seed', type=int, default=0,
                   help='seed of the deployed model (plain), of the collector\'s sample (shipped), of the random '
                                                      'orders, and of the retraining (shipped) (default: %(default)s)')
    p.add_argument('--work', default=str(ROOT / 'outputs' / 'bench' / 'site'), help='where homes and results go (default: %(default)s)')
    args = p.parse_args()
    if args.base == 'shipped' and args.recipe != 'plain':
        p.error('--recipe chooses how the plain base is trained; --base shipped trains nothing')
    work = Path(args.work).resolve() / {('plain', 'plain'): f'seed{args.seed}',
                                        ('plain', 'shipped'): f'without-site-shipped-recipe-seed{args.seed}',
                                        ('shipped', 'plain'): f'shipped-seed{args.seed}'}[args.base, args.recipe]
    variants = {v[0]: v[1:] for v in (args.variant or [['default']])}
    for name, pairs in variants.items():
        if len(pairs) % 2: raise SystemExit(f'variant {name}: parameters come in NAME VALUE pairs')
    camera, test_photos, crops = site_split(args.site, Path(args.photos) / args.site, args.base)
    frozen = frozen_without_camera(args.site, camera)
    base = prepare_base(args, work)
    deployed = 'shipped' if args.base == 'shipped' else json.loads(run('runs', '--json', env=home_env(base / 'home'),
                                                                       quiet=True).splitlines()[-1])['run_id']
    boxes = json.loads((base / 'camera.json').read_text())
    labels = oracle_labels(boxes, Path(args.photos) / args.site)
    seeded = ['seed', args.seed] if args.base == 'shipped' else []
    results_path = work / 'results.json'
    results = json.loads(results_path.read_text()) if results_path.exists() else []
    done = {(r['variant'], r['order'], r['labels']) for r in results}
    if ('-', '-', 0) not in done:
        results.append({'variant': '-', 'order': '-', 'labels': 0, 'incorrect_among': 0, 'not_faces_among': 0, 'minutes': None,
                        'promoted': None,
                        **measure(base / 'home', deployed, args, test_photos, crops, frozen)})
    for name, pairs in variants.items():
        for order in args.orders.split(','):
            for n in map(int, args.labels.split(',')):
                if (name, order, n) in done: continue
                home = work / f'{name}-{order}-{n}'
                clone_home(base / 'home', home)
                code = '''
import json, random, sys
from facemask.review import label_face, queue_faces
labels, order, n, seed = json.loads(open(sys.argv[1]).read()), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ids = [f['id'] for f in queue_faces()]
if order == 'random': random.Random(seed).shuffle(ids)
for i in ids[:n]: label_face(i, labels[i], by='oracle')
print(json.dumps([labels[i] for i in ids[:n]]))
'''
                (home / 'oracle.json').write_text(json.dumps(labels))
                given = json.loads(python(code, home_env(home), home / 'oracle.json', order, n, args.seed))
                results.append({'variant': name, 'order': order, 'labels': n,
                                **retrain_and_measure(home, [*seeded, *pairs], given, args, test_photos, crops, frozen)})
                results_path.write_text(json.dumps(results, indent=1))
                print(f"{name} {order} {n}: {json.dumps(results[-1])}", flush=True)
    wrong = [i for i, (_, _, predicted) in boxes.items() if labels[i] != 'not_a_face' and labels[i] != predicted]
    random.Random(args.seed).shuffle(wrong)   # the order in which a person happens to notice them
    for n in [len(wrong) if c == 'all' else int(c) for c in args.corrections.split(',') if c]:
        if ('corrections', '-', n) in done: continue
        home = work / f'corrections-{n}'
        clone_home(base / 'home', home)
        code = '''
import json, sys
from facemask.review import file_feedback
for face_id, label in json.loads(open(sys.argv[1]).read()): file_feedback(face_id, label, by='oracle')
print(len(json.loads(open(sys.argv[1]).read())))
'''
        (home / 'corrections.json').write_text(json.dumps([[i, labels[i]] for i in wrong[:n]]))
        python(code, home_env(home), home / 'corrections.json')
        results.append({'variant': 'corrections', 'order': '-', 'labels': n,
                        **retrain_and_measure(home, seeded, [labels[i] for i in wrong[:n]], args, test_photos, crops, frozen)})
        results_path.write_text(json.dumps(results, indent=1))
        print(f"corrections {n} (of {len(wrong)} wrong answers): {json.dumps(results[-1])}", flush=True)
    results_path.write_text(json.dumps(results, indent=1))
    table = pd.DataFrame([{'variant': r['variant'], 'order': r['order'], 'labels': r['labels'],
                           'incorrect among them': r['incorrect_among'],
                           'not faces among them': r['not_faces_among'],
                           'site incorrect recall [95 %]': f"{r['crops']['incorrect_recall']:.3f} "
                                                           "[{:.2f}-{:.2f}]".format(*r['crops']['intervals']['incorrect_recall']),
                           'site macro-F1': round(r['crops']['macro_f1'], 3),
                           'photos: incorrect found+right': round(r['photos'].get('mask_weared_incorrect') or 0, 3),
                           'frozen real macro-F1': round(r['frozen_real_macro_f1'], 3),
                           'without the camera': round(r['frozen_real_macro_f1_without_camera'], 3)
                           if 'frozen_real_macro_f1_without_camera' in r else None,
                           'promoted': r['promoted'], 'minutes': r['minutes']}
                          for r in results])
    print(f'\nsite {args.site}: {len(crops)} test crops ({(crops["label"] == "mask_weared_incorrect").sum()} incorrectly worn), '
          f'{len(test_photos)} test photos; deployed model {deployed} (seed {args.seed})\n')
    print(table.to_string(index=False))
    plot(results, work / 'site_curve.png')
    print(f'\nresults: {results_path}; plot: {work / "site_curve.png"}')


def plot(results: list, path: Path):
    """Site incorrect-mask recall against labels given: one line per variant and order through the mean of its retrainings
    (variants named `NAME-seedK` are retrainings of NAME), each retraining a dot with its 95 % interval."""
    import re
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    base = next(r for r in results if r['labels'] == 0)
    family = lambda r: (re.sub(r'-seed\d+$', '', r['variant']), r['order'])
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    for k, (variant, order) in enumerate(sorted({family(r) for r in results if r['labels']})):
        runs = [r for r in results if r['labels'] and family(r) == (variant, order)]
        ns = sorted({r['labels'] for r in runs})
        means = [np.mean([r['crops']['incorrect_recall'] for r in runs if r['labels'] == n]) for n in ns]
        line, = ax.plot([0] + ns, [base['crops']['incorrect_recall']] + means, marker='o', label=f'{variant}, {order} order')
        for r in runs:
            x, y = r['labels'] + 5 * (k - 1), r['crops']['incorrect_recall']
            lo, hi = r['crops']['intervals']['incorrect_recall']
            ax.errorbar(x, y, yerr=[[y - lo], [hi - y]], fmt='.', color=line.get_color(), alpha=0.45, capsize=2)
    ax.set_xlabel('faces labelled from the camera'); ax.set_ylabel('incorrectly worn masks recalled\n(site test crops)')
    ax.set_title('A site that adapts: the review queue and one retraining\n(lines: mean of the retrainings; dots: each, with its 95 % '
                 'interval)',
                 fontsize=10)
    ax.grid(alpha=0.3); ax.legend(fontsize=8)
    fig.tight_layout(); fig.savefig(path, dpi=110)


if __name__ == '__main__':
    main()
