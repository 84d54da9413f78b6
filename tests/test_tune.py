"""Hyperparameter search end to end on tiny generated data: one process, and a chief with two workers (keras-tuner)."""
import json

import pytest

from conftest import facemask
from toy_runs import runs


def test_tune_records_best_params(toy_home):
    out = facemask('tune', '--max-trials', '2', '--epochs', '2').stdout
    assert 'train with:' in out and 'facemask train -p arch' in out
    run = runs()[-1]
    assert run['kind'] == 'tune' and run['status'] == 'succeeded'
    best = json.loads((toy_home / 'outputs' / 'runs' / run['run_id'] / 'best_params.json').read_text())
    from facemask.model import ARCHITECTURES
    assert best['params']['arch'] in ARCHITECTURES


def test_distributed_tune_splits_trials_between_two_workers(toy_home):
    "A chief and 2 workers on loopback (keras-tuner's distributed mode): both workers train trials, the best is recorded."
    import pandas as pd
    out = facemask('tune', '--max-trials', '4', '--epochs', '1', '--workers', '2').stdout
    run = runs()[-1]
    assert run['kind'] == 'tune' and run['status'] == 'succeeded' and 'train with:' in out
    folder = toy_home / 'outputs' / 'runs' / run['run_id']
    trials = pd.read_csv(folder / 'trials.csv')
    assert len(trials) == 4 and set(trials['tuner']) == {'tuner0', 'tuner1'}   # split between the workers, none trained by the chief
    best = json.loads((folder / 'best_params.json').read_text())
    top = trials[trials['score'] == trials['score'].max()]   # a tie on the toy data: any of the best is the best
    assert best['params']['arch'] in set(top['arch']) and run['metrics']['best_score'] == pytest.approx(trials['score'].max())
    assert (folder / 'tuner' / 'chief.log').exists() and (folder / 'tuner' / 'tuner1.log').exists()
