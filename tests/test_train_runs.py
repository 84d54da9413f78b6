"""Training runs end to end through papermill on tiny generated data: promotion, a refused promotion, rollback, the decision
threshold, predictions."""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facemask.core import CLASS_NAMES
from conftest import facemask
from toy_runs import TINY, runs


def test_run_is_recorded_with_all_its_files(toy_home):
    out = facemask('train', *TINY).stdout
    assert 'succeeded' in out
    (run,) = runs()
    assert run['status'] == 'succeeded' and run['run_id'].startswith('train-')
    folder = toy_home / 'outputs' / 'runs' / run['run_id']
    for name in ('train.ipynb', 'params.json', 'metrics.json', 'history.csv', 'model.keras', 'model.tflite',
                 'history.png', 'confusion.png', 'misclassified.png', 'missed_incorrect.png', 'operating_point.png', 'decision.json'):
        assert (folder / name).stat().st_size > 0, name
    metrics = json.loads((folder / 'metrics.json').read_text())
    assert metrics['params']['epochs'] == 2 and metrics['epochs_trained'] == 2
    assert set(metrics['headline']) == {'real_accuracy', 'real_macro_f1', 'real_incorrect_recall', 'overall_macro_f1'}
    assert run['metrics']['headline'] == metrics['headline']
    threshold = metrics['operating_point']['incorrect_threshold']   # chosen on validation, recorded with the model
    assert 0 < threshold < 1 and metrics['test']['incorrect_threshold'] == threshold


def test_evaluate_and_the_model_card_set_the_metrics_beside_the_quality_goal(toy_home):
    from facemask.evaluate import QUALITY_GOAL
    run = runs()[0]
    result = json.loads(facemask('evaluate', run['run_id'], '--json').stdout)
    assert [r['met'] for r in result['quality_goal']] == [result['real_photos'][k.removeprefix('real_')] >= goal
                                                          for k, goal in QUALITY_GOAL.items()]
    shown = facemask('evaluate', run['run_id']).stdout
    assert f"quality goal, real photos: accuracy >= {QUALITY_GOAL['real_accuracy']:.2f}" in shown
    assert 'labels: incorrect-mask threshold' in shown and '    andrewmvd' in shown   # the model's own threshold; each real-photo source
    low, high = result['real_intervals']['accuracy']
    assert low <= result['real_photos']['accuracy'] <= high
    assert json.loads(facemask('evaluate', run['run_id'], '--split', 'val', '--json').stdout)['quality_goal'] == []   # set on test only
    card = (toy_home / 'outputs' / 'runs' / run['run_id'] / 'model_card.md').read_text()
    assert '### Quality goal (real photos)' in card and '| incorrect-mask recall | ≥ 0.85 |' in card
    assert '## Decision threshold' in card and '| · andrewmvd |' in card


def test_promotion_refused_then_rollback(toy_home):
    before = [r for r in runs() if r['production']]
    out = facemask('train', *TINY, '-p', 'seed', '1', '--margin', '1.0').stdout
    assert 'not promoted' in out and 'does not beat production' in out
    after = runs()
    assert [r for r in after if r['production']] == before
    refused = after[-1]
    assert refused['decision']['promote'] is False
    facemask('promote', refused['run_id'])
    assert runs()[-1]['production']
    facemask('rollback')
    assert [r['run_id'] for r in runs() if r['production']] == [r['run_id'] for r in before]


def test_notebook_parameters_match_the_library_defaults():
    import papermill as pm
    from facemask.train import DEFAULT_PARAMS
    params = pm.inspect_notebook(str(Path(__file__).parent.parent / 'nbs' / 'train.ipynb'))
    assert set(params) == set(DEFAULT_PARAMS) | {'run_id', 'run_dir', 'margin', 'auto_promote', 'uploads'}
    for name, default in DEFAULT_PARAMS.items():
        assert eval(params[name]['default']) == default, name


def test_predict_prints_json_lines_and_fails_only_for_bad_inputs(toy_home, tmp_path):
    from corpus import bad_input_corpus
    good = tmp_path / 'good.png'
    Image.fromarray(np.full((40, 40, 3), (200, 40, 40), np.uint8)).save(good)
    (tmp_path / 'broken.jpg').write_bytes(bad_input_corpus()['truncated.jpg'][0])
    res = facemask('predict', good, tmp_path / 'broken.jpg', '--json', check=False)
    assert res.returncode == 1 and '1 of 2 inputs could not be predicted' in res.stderr
    ok, bad = [json.loads(l) for l in res.stdout.splitlines()]
    assert set(ok) == {'id', 'file', 'label', 'probabilities', 'model_version'} and ok['label'] in CLASS_NAMES
    assert abs(sum(ok['probabilities'].values()) - 1) < 1e-3
    from facemask.registry import production_run   # a promoted toy run, or the shipped model if none beat it
    assert ok['model_version'] == production_run()
    assert bad['file'].endswith('broken.jpg') and 'truncated' in bad['error']
    folder = facemask('predict', tmp_path, '--json', check=False)   # a folder means every image in it
    assert sorted(json.loads(l)['file'] for l in folder.stdout.splitlines()) == [str(tmp_path / 'broken.jpg'), str(good)]


def test_predictor_handles_every_kind_of_upload(toy_home):
    from corpus import bad_input_corpus
    from facemask.testing import encode, noise_image
    from facemask.images import ImageRejected
    from facemask.predict import Predictor
    predictor = Predictor()
    corpus = {**bad_input_corpus(), 'large.jpg': (encode(noise_image(6000, 4000, seed=3)), None),
              'photo.bmp': (encode(noise_image(50, 40, seed=4), 'BMP'), None),
              'photo.tiff': (encode(noise_image(50, 40, seed=5), 'TIFF'), None)}
    for name, (data, expected) in corpus.items():
        if expected is None:
            p = predictor.predict(data, name)
            assert p.file == name and p.label in CLASS_NAMES, name
        else:
            with pytest.raises(ImageRejected, match=expected):
                predictor.predict(data, name)


def test_predict_faces_json(toy_home, tmp_path):
    from facemask.testing import noise_image
    photo = tmp_path / 'street.jpg'
    noise_image(320, 240, seed=9).save(photo)
    (line,) = facemask('predict', '--faces', '--json', photo).stdout.splitlines()
    result = json.loads(line)
    assert result['file'] == str(photo) and isinstance(result['faces'], list) and result['model_version']


def test_threshold_moves_the_decision_of_a_run_and_its_recorded_figures(toy_home):
    run = runs()[0]
    folder = toy_home / 'outputs' / 'runs' / run['run_id']
    out = facemask('threshold', run['run_id'], '--value', '0').stdout   # every face called incorrectly worn
    assert 'incorrect-mask threshold 0.00 (set by hand)' in out
    metrics = json.loads((folder / 'metrics.json').read_text())
    assert metrics['operating_point']['incorrect_threshold'] == 0 and metrics['test']['incorrect_threshold'] == 0
    assert metrics['test']['overall']['incorrect_recall'] == 1.0
    assert [r for r in runs() if r['run_id'] == run['run_id']][0]['metrics']['headline'] == metrics['headline']
    assert '**0.00**' in (folder / 'model_card.md').read_text()
    out = facemask('threshold', run['run_id'], '--recall', '0.5').stdout
    assert 'incorrect-mask recall at least 0.50' in out
    assert json.loads((folder / 'metrics.json').read_text())['operating_point']['validation']['recall'] >= 0.5
    bad = facemask('threshold', run['run_id'], '--value', '2', check=False)
    assert bad.returncode != 0 and 'between 0 and 1' in bad.stderr
