"""Benchmark: the quality-vs-latency table of trained models (`make bench`).

For the shipped model and every succeeded run in the registry (or the runs named): its architecture,
training time, decision threshold, real-photo validation macro-F1 at that threshold, real-photo test
accuracy / macro-F1 / incorrect-mask recall / incorrect-mask precision with their 95 % bootstrap
intervals, and the median time of one LiteRT call on one face (one thread), all read from each run's
`metrics.json` except the time, which is measured here (for a run served as a cascade: its first
network's time plus its second network's times the share of test faces the second one saw). Runs
evaluated on another dataset version than the newest are marked, since their test faces differ.

Prediction-time combinations are measured here too (`--ensemble RUN+RUN`: the mean of several models'
probabilities, each at its own input size; `--mirrored RUN`: the mean of a model on each face and on its
mirror image; `--cascade FAST+SLOW`: the fast model alone where its two likeliest classes are far apart,
the mean of both where they are within a margin, for several margins): predicted on the newest dataset's
validation and test faces, threshold chosen on the real-photo validation faces like a run's, LiteRT time
the sum of the calls a face needs (for a cascade, on average over the test faces).
"""
import argparse
import time

import numpy as np

from facemask.core import CLASS_NAMES, read_json
from facemask.evaluate import INCORRECT, cascade, unsure
from facemask.data import load_dataset
from facemask.served import LiteRTModel
from facemask.registry import SHIPPED, list_runs
from facemask.measure import evaluate_model
from facemask.served import SECOND_STAGE, load_model, model_dir, resolve_model, second_stage


def litert_ms(folder, calls: int = 300, file: str = 'model.tflite') -> float:
    "Median milliseconds of one LiteRT call on one face (after 20 warm-up calls) of a model folder's network (`file`)."
    model = LiteRTModel(folder / file)
    face = np.random.default_rng(0).uniform(0, 255, (1, model.size, model.size, 3)).astype(np.float32)
    for _ in range(20): model(face)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        model(face)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def table_row(name: str, network: str, train_min: str, point: dict, real: dict, intervals: dict, ms: float, dataset: str) -> str:
    "One row of the table: a model's threshold and validation score (`point`), its real-photo test figures with intervals, its time."
    fmt = lambda v: 'n/a' if v is None else f'{v:.3f}'
    span = lambda k: f" ({fmt(intervals[k][0])}–{fmt(intervals[k][1])})" if intervals.get(k) else ''
    return (f"| {name} | {network} | {train_min} | {fmt(point.get('incorrect_threshold'))} | "
            f"{fmt((point.get('validation') or {}).get('macro_f1'))} | "
            f"{fmt(real['accuracy'])}{span('accuracy')} | {fmt(real['macro_f1'])}{span('macro_f1')} | "
            f"{fmt(real['incorrect_recall'])}{span('incorrect_recall')} | {fmt(real['per_class'][CLASS_NAMES[INCORRECT]]['precision'])} | "
            f"{ms:.2f} | {dataset} |")


def row(run_id: str, newest: str) -> str:
    folder = model_dir(run_id)
    record = read_json(folder / 'metrics.json')
    dataset = record['dataset'] + ('' if record['dataset'] == newest else ' (older split)')
    network, ms = f"{record['params']['arch']} {record['params']['image_size']} px", litert_ms(folder)
    if stage := second_stage(folder):   # a cascade: its second network's time counts for the share of faces it sees
        share = record['test']['second_stage_share']
        network += f" + {stage['arch']} {stage['image_size']} px on {share:.1%} of the faces (margin {stage['margin']})"
        ms += share * litert_ms(folder, file=SECOND_STAGE)
    return table_row(record['run_id'], network, f"{record['train_seconds'] / 60:.1f}", record.get('operating_point') or {},
                     record['test']['real_photos'], record['test'].get('real_intervals') or {}, ms, dataset)


def member_probabilities(runs: list, mirrored: bool, ds) -> dict:
    "`{split: (labels, [probabilities of each run (and of its mirror images)], sources)}` on validation and test."
    probabilities = {}
    for run in runs:
        model = load_model(model_dir(run))   # once per run, for both splits
        for split in ('val', 'test'):
            _, p, images, labels, sources = evaluate_model(model, ds, split)
            members = probabilities.setdefault(split, (labels, [], sources))[1]
            members.append(p)
            if mirrored: members.append(model.predict(images[:, :, ::-1].astype(np.float32), batch_size=256, verbose=0))
    return probabilities

def cascaded(fast: np.ndarray, slow: np.ndarray, margin: float) -> tuple:
    "`(probabilities, share sent to the slow model)` of `facemask.evaluate.cascade` on two models' probabilities of the same faces."
    return cascade(fast, lambda rows: slow[rows], margin), len(unsure(fast, margin)) / len(fast)

def combined_row(name: str, probabilities: dict, ms: float, ds) -> str:
    "The table row of prediction-time probabilities `{split: (labels, probabilities, sources)}`."
    from facemask.core import REAL_PHOTO_SOURCES
    from facemask.evaluate import choose_operating_point, evaluate_predictions
    labels, p, sources = probabilities['val']
    real = np.isin(sources, REAL_PHOTO_SOURCES)
    point = choose_operating_point(labels[real], p[real])
    labels, p, sources = probabilities['test']
    evaluated = evaluate_predictions(labels, p, sources, point['incorrect_threshold'])
    return table_row(name, 'prediction-time', '–', point, evaluated['real_photos'], evaluated['real_intervals'], ms, ds.ref)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('runs', nargs='*', metavar='RUN_ID', help='runs to compare (default: the shipped model and every succeeded run)')
    parser.add_argument('--ensemble', action='append', default=[], metavar='RUN+RUN',
                        help='also measure the mean of these runs (repeatable)')
    parser.add_argument('--mirrored', action='append', default=[], metavar='RUN',
                        help='also measure a run averaged over each face and its mirror')
    parser.add_argument('--cascade', action='append', default=[], metavar='FAST+SLOW',
                        help='also measure the fast run backed by the slow one where unsure')
    args = parser.parse_args()
    runs = [resolve_model(r) for r in args.runs] or \
           [SHIPPED] + [r['run_id'] for r in list_runs() if r['status'] == 'succeeded'
                        and (model_dir(r['run_id']) / 'model.tflite').exists()]
    ds = load_dataset()
    print('| model | network | train min | threshold | val real macro-F1 | test real accuracy | macro-F1 | incorrect recall | '
          'incorrect precision | LiteRT ms/face | dataset |')
    print('|' + '---|' * 11)
    for run_id in runs: print(row(run_id, ds.ref), flush=True)
    mean = lambda probabilities: {s: (y, np.mean(members, axis=0), src) for s, (y, members, src) in probabilities.items()}
    for spec in args.ensemble:
        runs = [resolve_model(r) for r in spec.split('+')]
        print(combined_row(spec, mean(member_probabilities(runs, False, ds)), sum(litert_ms(model_dir(r)) for r in runs), ds), flush=True)
    for run in args.mirrored:
        print(combined_row(f'{run}, mirrored too', mean(member_probabilities([resolve_model(run)], True, ds)),
                           2 * litert_ms(model_dir(resolve_model(run))), ds), flush=True)
    for spec in args.cascade:
        fast, slow = [resolve_model(r) for r in spec.split('+')]
        members, fast_ms, slow_ms = member_probabilities([fast, slow], False, ds), litert_ms(model_dir(fast)), litert_ms(model_dir(slow))
        for margin in (0.2, 0.4, 0.6):
            mixed = {s: (y, *cascaded(*ps, margin), src) for s, (y, ps, src) in members.items()}
            share = mixed['test'][2]
            print(combined_row(f'{spec}, cascade: margin {margin} sends {share:.1%} to the second',
                               {s: (y, p, src) for s, (y, p, _, src) in mixed.items()},
                               fast_ms + share * slow_ms, ds), flush=True)


if __name__ == '__main__':
    main()
