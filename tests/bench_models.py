"""Benchmark: the quality-vs-latency table of trained models (`make bench`).

For the shipped model and every succeeded run in the registry (or the runs named): its architecture,
training time, decision threshold, real-photo validation macro-F1 at that threshold, real-photo test
accuracy / macro-F1 / incorrect-mask recall / incorrect-mask precision with their 95 % bootstrap
intervals, and the median time of one LiteRT call on one face (one thread), all read from each run's
`metrics.json` except the time, which is measured here. Runs evaluated on another dataset version
than the newest are marked, since their test faces differ.
"""
import argparse
import time

import numpy as np

from facemask.core import CLASS_NAMES, read_json
from facemask.evaluate import INCORRECT
from facemask.data import load_dataset
from facemask.predict import LiteRTModel
from facemask.registry import SHIPPED, list_runs
from facemask.runs import model_dir, resolve_model


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('runs', nargs='*', metavar='RUN_ID', help='runs to compare (default: the shipped model and every succeeded run)')
    args = parser.parse_args()
    runs = [resolve_model(r) for r in args.runs] or \
           [SHIPPED] + [r['run_id'] for r in list_runs() if r['status'] == 'succeeded' and (model_dir(r['run_id']) / 'model.tflite').exists()]
    newest = load_dataset().ref
    print('| model | network | train min | threshold | val real macro-F1 | test real accuracy | macro-F1 | incorrect recall | '
          'incorrect precision | LiteRT ms/face | dataset |')
    print('|' + '---|' * 11)
    for run_id in runs: print(row(run_id, newest), flush=True)


if __name__ == '__main__':
    main()
