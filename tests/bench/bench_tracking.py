"""Benchmark: how well the project's tracker, `facemask.video.FaceTracker`, COUNTS people, against ByteTrack and norfair.

What is measured
- Clips are made like `bench_video.py`'s: `--photos` group photos of the frozen test split (1 to 5 labelled faces each, the two
  real-photo sources alternating), each shown for 25 frames (1 s at 25 fps) while it pans, written with
  `facemask.video.write_clip` to MP4 and decoded again. The ground-truth box of every annotated face in every frame is known
  exactly (the photo's annotation, scaled like `write_clip`'s thumbnail and moved by the pan). Four variants:
  `pan2` (2 px/frame, 25 fps: `facemask watch`'s bench clip), `pan2/2` (every 2nd frame dropped: 12.5 fps, 4 px per frame kept),
  `pan8` (8 px/frame) and `pan8/2` (12.5 fps, 16 px per frame kept). Every photo is a new scene: its people are new people.
- Detection (BlazeFace) and classification (the shipped `Predictor`, with the look below the chin) run ONCE per frame, as
  `facemask watch` runs them; the faces are cached in `--out`/faces.json, so every tracker sees identical detections.
- Trackers: `facemask (this project)`, `facemask.video.FaceTracker()` with its defaults (and a row with max_missed 4);
  `sv.ByteTrack` (supervision 0.29.1), its successor `trackers.ByteTrackTracker`, and `norfair.Tracker`, each with its
  defaults and with settings that suit these clips.
- A person is COUNTED by the project's rule: a track given a face in at least 3 frames.
  TRUE people: annotated faces the detector finds (IoU >= 0.4 with a detection, one-to-one, `facemask.faces.match_faces`) in at
  least 3 of the frames the tracker sees; also reported against ALL annotated faces (many are too small to be found).
- Per tracker: counted vs true (net error, relative), per-photo absolute error (sum over photos of |counted - true| for the tracks
  that start on that photo: splits and merges do not cancel), people split (one true face owning >= 2 counted tracks; a track is
  owned by the true face most of its faces are), merged tracks (a counted track holding >= 3 frames of each of >= 2 true faces),
  missed people, unowned tracks (counted tracks owned by no true face: false detections, faces the annotations lack, or faces
  whose detected box overlaps the annotated one by less than the match IoU in most frames), identity switches (a true face's track id
  changing between the frames it is matched in), MOTA / IDF1 / switches from `motmetrics` when it is installed, and the tracker's own
  time per frame (the call only, input conversion included; the frame-rate goal: `facemask watch` runs ~64 frames/s end to end, so a
  tracker must cost well under 1 ms/frame).
- Noise: a paired bootstrap over photos (the per-photo absolute errors summed over the four variants) gives a 95 % interval
  of the project's difference to each other tracker.

How to run (needs ../shared/data/photos; the first run detects for minutes, later ones read `--out`/faces.json):
    .venv/bin/python tests/bench/bench_tracking.py [--photos 60] [--out DIR] [--refresh] [--only norfair]
With the project's venv only the project's tracker runs; the others are skipped, their packages missing. They are no project
dependencies: `sv.ByteTrack` is gone from current supervision (removed in 0.30), supervision and trackers pull a second OpenCV
(`opencv-python` beside the project's headless one), and norfair requires numpy<2. To measure them, make a separate venv that
also sees the project's packages (e.g. a .pth file adding .venv's site-packages), install them there without their dependencies:
    pip install --no-deps supervision==0.29.1 trackers norfair pydeprecate filterpy   # + motmetrics xmltodict for MOTA/IDF1
(measured with trackers 2.6.1 and norfair 2.3.0, which runs on numpy 2 here) and run the same command with its python.
Prints tables, writes `--out`/results.json; asserts nothing.
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
ROOT = Path(__file__).resolve().parents[2]

FPS, SIZE, FRAMES_PER_IMAGE, MIN_FRAMES, MATCH_IOU = 25, (640, 480), 25, 3, 0.4
VARIANTS = {'pan2': (2, 1), 'pan2/2': (2, 2), 'pan8': (8, 1), 'pan8/2': (8, 2)}   # name: (pan px/frame, keep every n-th frame)


# ---------------------------------------------------------------- clips, detections, ground truth

def thumbnail_size(im, pan: int) -> tuple:
    "The size `write_clip` gives `im` (the same call on a copy)."
    t = im.convert('RGB').copy(); t.thumbnail((SIZE[0] - pan * FRAMES_PER_IMAGE, SIZE[1]))
    return t.size


def detect_clip(images: list, pan: int, tmp: Path) -> dict:
    "`write_clip` of `images`, decoded; the faces of every frame as `facemask watch` finds and labels them, and the time it took."
    from facemask.detect import face_detector
    from facemask.faces import LookMemory, classify_faces
    from facemask.predict import Predictor
    from facemask.video import frames, open_video, write_clip
    from PIL import Image
    clip = write_clip(images, tmp / f'pan{pan}.mp4', fps=FPS, size=SIZE, frames_per_image=FRAMES_PER_IMAGE, pan=pan)
    predictor, detector, memory, out, times = Predictor(), face_detector(), LookMemory(), [], []
    for _, rgb in frames(open_video(clip)):
        start = time.perf_counter()
        faces = classify_faces(predictor, Image.fromarray(rgb), detector(rgb), memory)
        times.append(time.perf_counter() - start)
        out.append([{'box': [float(v) for v in f['box']], 'confidence': f['confidence'], 'label': f['label']} for f in faces])
    return {'frames': out, 'ms_detect_classify': round(1000 * statistics.median(times), 2), 'model_version': predictor.version}


def photo_truth(images: list, pan: int) -> list:
    "Per photo: `[(face id, box in the clip's first frame of the photo)]`, from its annotations scaled like `write_clip`'s thumbnail."
    tables, out = {}, []
    for im in images:
        path = Path(im.filename)
        csv = path.parent.parent / 'annotations.csv'
        if csv not in tables: tables[csv] = pd.read_csv(csv)
        rows = tables[csv][tables[csv]['file'] == path.name]
        (tw, th), (w, h) = thumbnail_size(im, pan), im.size
        sx, sy, oy = tw / w, th / h, (SIZE[1] - th) // 2
        out.append([(f'{path.parent.parent.name}/{path.name}#{i}', [r.xmin * sx, r.ymin * sy + oy, r.xmax * sx, r.ymax * sy + oy])
                    for i, r in enumerate(rows.itertuples())])
    return out


def load_faces(photos: int, refresh: bool, cache: Path) -> tuple:
    "The clips' photos and, per pan, the faces of every frame: from `cache` when it was made from the same photos, model and detector."
    from bench_video import clip_photos
    from facemask.detect import DETECTOR_SHA256
    from facemask.predict import Predictor
    images = clip_photos(photos)
    key = {'photos': [str(Path(im.filename).relative_to(Path(im.filename).parents[2])) for im in images], 'detector': DETECTOR_SHA256[:16],
           'model_version': Predictor().version, 'fps': FPS, 'size': list(SIZE), 'frames_per_image': FRAMES_PER_IMAGE,
           'pans': sorted({p for p, _ in VARIANTS.values()})}
    if cache.exists() and not refresh:
        saved = json.loads(cache.read_text())
        if saved['key'] == key: return images, saved
        print('faces.json was made from other photos, model or detector: detecting again')
    saved = {'key': key, 'clips': {}}
    with tempfile.TemporaryDirectory() as tmp:
        for pan in key['pans']:
            start = time.perf_counter()
            saved['clips'][str(pan)] = detect_clip(images, pan, Path(tmp))
            print(f'pan {pan}: {len(saved["clips"][str(pan)]["frames"])} frames detected and classified in '
                  f'{time.perf_counter() - start:.0f} s', flush=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(saved))
    return images, saved


def variant_frames(images: list, saved: dict, pan: int, every: int) -> list:
    "`[(frame index, photo index, faces, truth)]` of the frames a tracker sees: truth `[(face id, box)]` moved by the pan."
    truth, out = photo_truth(images, pan), []
    for index, faces in enumerate(saved['clips'][str(pan)]['frames']):
        if index % every: continue
        photo, i = divmod(index, FRAMES_PER_IMAGE)
        out.append((index, photo, faces, [(g, [b[0] + pan * i, b[1], b[2] + pan * i, b[3]]) for g, b in truth[photo]]))
    return out


# ---------------------------------------------------------------- trackers: each `step(frame index, faces)` -> a track id or None per face

class Project:
    "`facemask.video.FaceTracker`."
    def __init__(self, every, **kw):
        from facemask.video import FaceTracker
        self.step = FaceTracker(**kw).update


class ByteTrack:
    """`supervision.ByteTrack` (deprecated in supervision 0.28, removed in 0.30) or, with `package='trackers'`, its successor
    `trackers.ByteTrackTracker` (Roboflow's `trackers` package); both take `supervision.Detections`."""
    def __init__(self, every, package='supervision', **kw):
        import warnings
        import supervision as sv
        self.sv = sv
        if package == 'trackers':
            from trackers import ByteTrackTracker
            self.update = ByteTrackTracker(frame_rate=FPS / every, **kw).update
        else:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')   # its deprecation
                self.update = sv.ByteTrack(frame_rate=FPS / every, **kw).update_with_detections
    def step(self, index, faces):
        n = len(faces)
        d = self.sv.Detections(xyxy=np.array([f['box'] for f in faces], np.float32).reshape(-1, 4),
                               confidence=np.array([f['confidence'] for f in faces], np.float32), class_id=np.zeros(n, int),
                               data={'i': np.arange(n)})
        out = self.update(d)
        ids = [None] * n
        for i, t in zip(out.data.get('i', []), out.tracker_id): ids[int(i)] = int(t) if t >= 0 else None
        return ids


class Norfair:
    "`norfair.Tracker` on the box corners (`iou`) or the box centre (`euclidean`, threshold in pixels); `period` = frames dropped + 1."
    def __init__(self, every, centre=False, **kw):
        import norfair
        self.norfair, self.every, self.centre = norfair, every, centre
        self.tracker = norfair.Tracker(**kw)
    def step(self, index, faces):
        if self.centre: points = [np.array([[(f['box'][0] + f['box'][2]) / 2, (f['box'][1] + f['box'][3]) / 2]]) for f in faces]
        else: points = [np.array(f['box'], float).reshape(2, 2) for f in faces]
        objects = self.tracker.update([self.norfair.Detection(p, data=(index, i)) for i, p in enumerate(points)], period=self.every)
        ids = [None] * len(faces)
        for o in objects:
            f, i = o.last_detection.data
            if f == index: ids[i] = o.id
        return ids


PROJECT = 'facemask (this project)'
BYTETRACK = 'sv.ByteTrack (activation .4 -> new tracks >= .5, buffer 30)'
TRACKERS = {   # name: (class, settings, package it needs)
    PROJECT: (Project, {}, 'facemask'),
    'facemask, max_missed 4': (Project, {'max_missed': 4}, 'facemask'),
    BYTETRACK: (ByteTrack, {'track_activation_threshold': 0.4}, 'supervision'),
    'sv.ByteTrack (defaults: activation .25)': (ByteTrack, {}, 'supervision'),
    'trackers.ByteTrackTracker (activation .5, high .5)': (ByteTrack,
                                                           {'package': 'trackers', 'track_activation_threshold': 0.5,
                                                            'high_conf_det_threshold': 0.5}, 'trackers'),
    'trackers.ByteTrackTracker (defaults: activation .7, high .6)': (ByteTrack, {'package': 'trackers'}, 'trackers'),
    'norfair IoU (distance .7, defaults: hit max 15, init delay 7)': (Norfair, {'distance_function': 'iou', 'distance_threshold': 0.7},
                                                                      'norfair'),
    'norfair IoU (distance .7, init delay 1)': (Norfair, {'distance_function': 'iou', 'distance_threshold': 0.7, 'initialization_delay': 1},
                                                'norfair'),
    'norfair centroid (30 px, init delay 1)': (Norfair,
                                               {'centre': True, 'distance_function': 'euclidean', 'distance_threshold': 30,
                                                'initialization_delay': 1}, 'norfair'),
}


# ---------------------------------------------------------------- scoring

def run_tracker(cls, settings: dict, seen: list, every: int) -> tuple:
    "Track ids of every face of every frame, and the time of each call (ms)."
    tracker, ids, ms = cls(every, **settings), [], []
    for index, _, faces, _ in seen:
        faces = [dict(f) for f in faces]   # the project's tracker writes into them
        start = time.perf_counter_ns()
        got = tracker.step(index, faces)
        ms.append((time.perf_counter_ns() - start) / 1e6)
        ids.append(got)
    return ids, ms


def matches(seen: list) -> list:
    "Per frame, per face: the true face id it is (IoU >= 0.4, one-to-one) or None."
    from facemask.faces import match_faces
    out = []
    for _, _, faces, truth in seen:
        m = match_faces(np.array([b for _, b in truth], float).reshape(-1, 4), np.array([f['box'] for f in faces], float).reshape(-1, 4),
                        MATCH_IOU)
        gid = [None] * len(faces)
        for (g, _), j in zip(truth, m):
            if j >= 0: gid[j] = g
        out.append(gid)
    return out


def score(seen: list, gids: list, ids: list, photos: int) -> dict:
    "Counting, identity and per-photo errors of one tracker's ids against the truth."
    from facemask.detect import SURE_SCORE
    found = Counter(g for frame in gids for g in frame if g is not None)
    true = {g for g, n in found.items() if n >= MIN_FRAMES}
    sure = {g for (_, _, faces, _), frame in zip(seen, gids) for f, g in zip(faces, frame) if g is not None
            and f['confidence'] >= SURE_SCORE}
    every_face = {g for _, _, _, truth in seen for g, _ in truth}
    photo_of = {g: p for _, p, _, truth in seen for g, _ in truth}
    frames_of, faces_of, first_photo = Counter(), defaultdict(Counter), {}
    for (_, p, _, _), frame_gids, frame_ids in zip(seen, gids, ids):
        for g, t in zip(frame_gids, frame_ids):
            if t is None: continue
            frames_of[t] += 1; faces_of[t][g] += 1; first_photo.setdefault(t, p)
    counted = [t for t, n in frames_of.items() if n >= MIN_FRAMES]
    owner = {t: faces_of[t].most_common(1)[0][0] for t in counted}
    owned = Counter(owner[t] for t in counted if owner[t] in true)
    merged = [t for t in counted if sum(1 for g, n in faces_of[t].items() if g is not None and n >= MIN_FRAMES) >= 2]
    switches, last = 0, {}
    for frame_gids, frame_ids in zip(gids, ids):
        for g, t in zip(frame_gids, frame_ids):
            if g is None or t is None: continue
            if g in last and last[g] != t: switches += 1
            last[g] = t
    per_photo_counted, per_photo_true = Counter(first_photo[t] for t in counted), Counter(photo_of[g] for g in true)
    per_photo_error = [per_photo_counted[p] - per_photo_true[p] for p in range(photos)]
    n = len(counted)
    return {'counted': n, 'true': len(true), 'true_found_sure_once': len(true & sure), 'annotated': len(every_face), 'error': n - len(true),
            'relative_error': round((n - len(true)) / max(len(true), 1), 4), 'error_vs_annotated': n - len(every_face),
            'per_photo_abs_error': int(sum(map(abs, per_photo_error))), 'per_photo_error': per_photo_error,
            'split_people': sum(1 for g, k in owned.items() if k >= 2),
            'extra_tracks_from_splits': sum(k - 1 for k in owned.values() if k >= 2),
            'merged_tracks': len(merged), 'missed': len(true - set(owned)),
            'unowned_tracks': sum(1 for t in counted if owner[t] not in true),
            'id_switches': switches}


def mot_metrics(seen: list, gids: list, ids: list) -> dict:
    "MOTA, IDF1 and switches (`motmetrics`, IoU >= 0.4 between true boxes and the tracked faces' boxes); {} without motmetrics."
    try: import motmetrics as mm
    except ImportError: return {}
    from facemask.detect import box_iou
    acc, number = mm.MOTAccumulator(auto_id=True), {}
    for (_, _, faces, truth), frame_ids in zip(seen, ids):
        hyp = [(t, f['box']) for f, t in zip(faces, frame_ids) if t is not None]
        iou = box_iou(np.array([b for _, b in truth], float).reshape(-1, 4), np.array([b for _, b in hyp], float).reshape(-1, 4))
        d = np.where(iou >= MATCH_IOU, 1 - iou, np.nan)   # motmetrics 1.4's iou_matrix calls np.asfarray, gone in numpy 2
        acc.update([number.setdefault(g, len(number)) for g, _ in truth], [t for t, _ in hyp], d)   # its ids must be numbers
    s = mm.metrics.create().compute(acc, metrics=['mota', 'idf1', 'num_switches'], name='x').iloc[0]
    return {'mota': round(float(s['mota']), 4), 'idf1': round(float(s['idf1']), 4), 'mot_switches': int(s['num_switches'])}


def bootstrap_diff(a: np.ndarray, b: np.ndarray, rounds: int = 4000, seed: int = 0) -> list:
    "95 % interval of sum(a) - sum(b) over photos resampled with replacement (paired)."
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), (rounds, len(a)))
    return [float(v) for v in np.percentile(a[idx].sum(1) - b[idx].sum(1), [2.5, 97.5])]


def versions() -> dict:
    import importlib.metadata as md
    out = {'python': sys.version.split()[0]}
    for p in ('numpy', 'scipy', 'opencv-python-headless', 'supervision', 'trackers', 'norfair', 'filterpy', 'motmetrics'):
        try: out[p] = md.version(p)
        except md.PackageNotFoundError: out[p] = None
    return out


def available(package: str) -> bool:
    try: __import__(package); return True
    except ImportError: return False



def main(photos: int, refresh: bool, out: Path, match_iou: float, only: list | None = None):
    global MATCH_IOU
    MATCH_IOU = match_iou
    from facemask.core import shared_data_dir
    if shared_data_dir() is None: raise SystemExit('no ../shared/data/photos: nothing to make the clips from')
    images, saved = load_faces(photos, refresh, out / 'faces.json')
    trackers = {k: v for k, v in TRACKERS.items() if available(v[2])
                and (not only or k in (PROJECT, BYTETRACK) or any(o in k for o in only))}
    for name, (_, _, package) in TRACKERS.items():
        if not available(package): print(f'skipped (package {package} not installed): {name}')
    results = {'versions': versions(), 'photos': len(images), 'photo_files': saved['key']['photos'],
               'model_version': saved['key']['model_version'],
               'ms_detect_classify_per_frame': {p: c['ms_detect_classify'] for p, c in saved['clips'].items()},
               'min_frames': MIN_FRAMES, 'match_iou': MATCH_IOU, 'variants': {}, 'totals': {}, 'bootstrap_project_minus': {}}
    per_photo = defaultdict(lambda: np.zeros(len(images)))
    for variant, (pan, every) in VARIANTS.items():
        seen = variant_frames(images, saved, pan, every)
        gids = matches(seen)
        results['variants'][variant] = {'pan_px_per_frame': pan, 'every': every, 'frames': len(seen), 'fps': FPS / every,
                                        'px_per_frame_seen': pan * every, 'trackers': {}}
        for name, (cls, settings, _) in trackers.items():
            ids, ms = run_tracker(cls, settings, seen, every)
            r = {**score(seen, gids, ids, len(images)), **mot_metrics(seen, gids, ids),
                 'ms_per_frame_mean': round(statistics.fmean(ms), 4), 'ms_per_frame_median': round(statistics.median(ms), 4),
                 'ms_per_frame_p99': round(float(np.percentile(ms, 99)), 4)}
            results['variants'][variant]['trackers'][name] = r
            per_photo[name] += np.abs(r['per_photo_error'])
        print(f'{variant}: done', flush=True)
    keys = ('counted', 'true', 'true_found_sure_once', 'annotated', 'error', 'error_vs_annotated', 'per_photo_abs_error', 'split_people',
            'extra_tracks_from_splits',
            'merged_tracks', 'missed', 'unowned_tracks', 'id_switches')
    for name in trackers:
        rs = [results['variants'][v]['trackers'][name] for v in VARIANTS]
        t = {k: sum(r[k] for r in rs) for k in keys}
        t['relative_error'] = round(t['error'] / max(t['true'], 1), 4)
        t['ms_per_frame_mean'] = round(statistics.fmean(r['ms_per_frame_mean'] for r in rs), 4)
        t['ms_per_frame_median'] = round(statistics.median(r['ms_per_frame_median'] for r in rs), 4)
        t['ms_per_frame_p99_max'] = max(r['ms_per_frame_p99'] for r in rs)
        if 'mota' in rs[0]: t['mota_mean'], t['idf1_mean'] = (round(statistics.fmean(r[m] for r in rs), 4) for m in ('mota', 'idf1'))
        results['totals'][name] = t
    for name in (n for n in trackers if n != PROJECT):
        results['bootstrap_project_minus'][name] = {'per_photo_abs_error_diff': float(per_photo[PROJECT].sum() - per_photo[name].sum()),
                                                    'ci95': bootstrap_diff(per_photo[PROJECT], per_photo[name])}
    report(results, trackers)
    (out / 'results.json').write_text(json.dumps(results, indent=1))
    print(f'\nwritten: {out / "results.json"}')


def report(results: dict, trackers: dict):
    width = max(map(len, trackers))
    clips = ', '.join(f"{v}: {d['frames']} frames ({d['px_per_frame_seen']} px between frames seen, {d['fps']:g} fps)"
                      for v, d in results['variants'].items())
    print(f"\n{results['photos']} photos; {clips}")
    t = next(iter(results['totals'].values()))
    print(f"true people: annotated faces matched (IoU >= {results['match_iou']}) to a detection in >= {MIN_FRAMES} frames; "
          f"{t['true_found_sure_once']} of the {t['true']} (all clips) were detected with score >= .5 at least once (a track can start)")
    print(f"detect + classify, median per frame: {results['ms_detect_classify_per_frame']} ms; versions: {results['versions']}")
    print(f'\nPer clip: counted / true (detected >= {MIN_FRAMES} frames) / annotated, net error; per-photo |error|; ID switches')
    for variant, d in results['variants'].items():
        print(f'\n[{variant}]')
        for name, r in d['trackers'].items():
            mot = f"  MOTA {r['mota']:.3f} IDF1 {r['idf1']:.3f}" if 'mota' in r else ''
            print(f"  {name:<{width}}  {r['counted']:4d} / {r['true']:4d} / {r['annotated']:4d}  err {r['error']:+4d} "
                  f"({r['relative_error']:+.1%})"
                  f"  |err|/photo-sum {r['per_photo_abs_error']:4d}  split {r['split_people']:3d} merged {r['merged_tracks']:3d} missed "
                  f"{r['missed']:3d}"
                  f" unowned {r['unowned_tracks']:3d}  IDsw {r['id_switches']:4d}{mot}  {r['ms_per_frame_mean']:.3f} ms/frame")
    print(f'\nTotal over the {len(results["variants"])} clips')
    print(f"  {'tracker':<{width}}  counted  true  annot  net err  rel err  sum|err| per photo  splits(+tracks)  merged  missed  unowned  "
          "IDsw  MOTA  IDF1  ms/frame median (p99 max)")
    for name, t in results['totals'].items():
        print(f"  {name:<{width}}  {t['counted']:7d}  {t['true']:4d}  {t['annotated']:5d}  {t['error']:+7d}  {t['relative_error']:+7.1%}  "
              f"{t['per_photo_abs_error']:17d}"
              f"  {t['split_people']:6d} (+{t['extra_tracks_from_splits']:3d})  {t['merged_tracks']:6d}  {t['missed']:6d}  "
              f"{t['unowned_tracks']:7d}  {t['id_switches']:4d}"
              f"  {t.get('mota_mean', float('nan')):.3f} {t.get('idf1_mean', float('nan')):.3f}  {t['ms_per_frame_median']:.3f} "
              f"({t['ms_per_frame_p99_max']:.3f})")
    if results['bootstrap_project_minus']:
        print(f'\nsum over photos and clips of |counted - true| per photo: {PROJECT} minus each other tracker '
              '(paired bootstrap over photos, 95 %; below 0: the project counts closer to the truth)')
        for name, b in results['bootstrap_project_minus'].items():
            print(f"  {name:<{width}}  {b['per_photo_abs_error_diff']:+5.0f}  [{b['ci95'][0]:+.0f}, {b['ci95'][1]:+.0f}]")


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog='See the top of tests/bench/bench_tracking.py for what is measured and how to run the other '
                                        'trackers.')
    ap.add_argument('--photos', type=int, default=60,
                    help='test photos (1 to 5 faces each) in each clip, 25 frames each (default: %(default)s)')
    ap.add_argument('--refresh', action='store_true', help='detect and classify again even when faces.json matches')
    ap.add_argument('--out', type=Path, default=ROOT / 'outputs' / 'bench' / 'tracking',
                    help='where faces.json and results.json go (default: %(default)s)')
    ap.add_argument('--match-iou', type=float, default=MATCH_IOU,
                    help='IoU that makes a detection an annotated face (default: %(default)s, as facemask.faces)')
    ap.add_argument('--only', nargs='+',
                    help=f'run only the trackers whose name contains one of these ({PROJECT} and sv.ByteTrack with activation .4 always '
                         'run)')
    main(**vars(ap.parse_args()))
