"""Benchmark: the quality-vs-latency table of trained models (`make bench`).

For the shipped model and every succeeded run in the registry (or the runs named): its architecture,
training time, decision threshold, real-photo validation macro-F1 at that threshold, real-photo test
accuracy / macro-F1 / incorrect-mask recall / incorrect-mask precision with their 95 % bootstrap
intervals, and the median time of one LiteRT call on one face (one thread), all read from each run's
`metrics.json` except the time, which is measured here. Runs evaluated on another dataset version
than the newest are marked, since their test faces differ.

Prediction-time combinations are measured here too (`--ensemble RUN+RUN`: the mean of several models'
probabilities, each at its own input size; `--mirrored RUN`: the mean of a model on each face and on its
mirror image): predicted on the newest dataset's validation and test faces, threshold chosen on the
real-photo validation faces like a run's, LiteRT time the sum of the calls each face needs.
"""
import argparse
import time

import numpy as np

from facemask.core import CLASS_NAMES, read_json
from facemask.evaluate import INCORRECT
from facemask.data import load_dataset
from facemask.predict import LiteRTModel
from facemask.registry import SHIPPED, list_runs
from facemask.runs import evaluate_model, load_model, model_dir, resolve_model


def litert_ms(folder, calls: int = 300) -> float:
    "Median milliseconds of one LiteRT call on one face (after 20 warm-up calls)."
    model = LiteRTModel(folder / 'model.tflite')
    face = np.random.default_rng(0).uniform(0, 255, (1, model.size, model.size, 3)).astype(np.float32)
    for _ in range(20): model(face)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        model(face)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def row(run_id: str, newest: str) -> str:
    folder = model_dir(run_id)
    record = read_json(folder / 'metrics.json')
    real, intervals = record['test']['real_photos'], record['test'].get('real_intervals') or {}
    point = record.get('operating_point') or {}
    fmt = lambda v: 'n/a' if v is None else f'{v:.3f}'
    span = lambda k: f" ({fmt(intervals[k][0])}–{fmt(intervals[k][1])})" if intervals.get(k) else ''
    dataset = record['dataset'] + ('' if record['dataset'] == newest else ' (older split)')
    return (f"| {record['run_id']} | {record['params']['arch']} {record['params']['image_size']} px | {record['train_seconds'] / 60:.1f} | "
            f"{fmt(point.get('incorrect_threshold'))} | {fmt((point.get('validation') or {}).get('macro_f1'))} | "
            f"{fmt(real['accuracy'])}{span('accuracy')} | {fmt(real['macro_f1'])}{span('macro_f1')} | "
            f"{fmt(real['incorrect_recall'])}{span('incorrect_recall')} | {fmt(real['per_class'][CLASS_NAMES[INCORRECT]]['precision'])} | "
            f"{litert_ms(folder):.2f} | {dataset} |")


def combined_row(name: str, runs: list, mirrored: bool, ds) -> str:
    "The table row of a prediction-time combination of `runs` (their mean; with `mirrored`, also over mirror images)."
    from facemask.core import REAL_PHOTO_SOURCES
    from facemask.evaluate import choose_operating_point, evaluate_predictions
    probabilities = {}
    for split in ('val', 'test'):
        members = []
        for run in runs:
            model = load_model(model_dir(run))
            _, p, images, labels, sources = evaluate_model(model, ds, split)
            members.append(p)
            if mirrored: members.append(model.predict(images[:, :, ::-1].astype(np.float32), batch_size=256, verbose=0))
        probabilities[split] = (labels, np.mean(members, axis=0), sources)
    labels, p, sources = probabilities['val']
    real = np.isin(sources, REAL_PHOTO_SOURCES)
    point = choose_operating_point(labels[real], p[real])
    labels, p, sources = probabilities['test']
    evaluated = evaluate_predictions(labels, p, sources, point['incorrect_threshold'])
    metrics, intervals = evaluated['real_photos'], evaluated['real_intervals']
    fmt = lambda v: f'{v:.3f}'
    span = lambda k: f" ({fmt(intervals[k][0])}–{fmt(intervals[k][1])})"
    ms = sum(litert_ms(model_dir(run)) for run in runs) * (2 if mirrored else 1)
    return (f"| {name} | prediction-time | – | {fmt(point['incorrect_threshold'])} | {fmt(point['validation']['macro_f1'])} | "
            f"{fmt(metrics['accuracy'])}{span('accuracy')} | {fmt(metrics['macro_f1'])}{span('macro_f1')} | "
            f"{fmt(metrics['incorrect_recall'])}{span('incorrect_recall')} | {fmt(metrics['per_class'][CLASS_NAMES[INCORRECT]]['precision'])} | "
            f"{ms:.2f} | {ds.ref} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('runs', nargs='*', metavar='RUN_ID', help='runs to compare (default: the shipped model and every succeeded run)')
    parser.add_argument('--ensemble', action='append', default=[], metavar='RUN+RUN', help='also measure the mean of these runs (repeatable)')
    parser.add_argument('--mirrored', action='append', default=[], metavar='RUN', help='also measure a run averaged over each face and its mirror')
    args = parser.parse_args()
    runs = [resolve_model(r) for r in args.runs] or \
           [SHIPPED] + [r['run_id'] for r in list_runs() if r['status'] == 'succeeded' and (model_dir(r['run_id']) / 'model.tflite').exists()]
    newest = load_dataset().ref
    print('| model | network | train min | threshold | val real macro-F1 | test real accuracy | macro-F1 | incorrect recall | '
          'incorrect precision | LiteRT ms/face | dataset |')
    print('|' + '---|' * 11)
    for run_id in runs: print(row(run_id, newest), flush=True)
    ds = load_dataset()
    for spec in args.ensemble: print(combined_row(spec, [resolve_model(r) for r in spec.split('+')], False, ds), flush=True)
    for run in args.mirrored: print(combined_row(f'{run}, mirrored too', [resolve_model(run)], True, ds), flush=True)


if __name__ == '__main__':
    main()
