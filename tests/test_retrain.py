"""Retraining end to end on generated images: upload + retrain from the CLI, a refused second request, cancel, kill -9."""
import os
import signal
import time

import pytest

from facemask.testing import make_class_tree
from test_train_runs import facemask, runs

FAST = ['-p', 'epochs', '2']
ENDLESS = ['-p', 'epochs', '500', '-p', 'patience', '500']


@pytest.fixture(scope='module')
def retrain_home(tmp_path_factory):
    "A FACEMASK_HOME with a small colour-coded dataset; production is the shipped model."
    home = tmp_path_factory.mktemp('home')
    os.environ['FACEMASK_HOME'] = str(home)
    facemask('data', 'import', make_class_tree(tmp_path_factory.mktemp('src') / 'andrewmvd', 16, learnable=True, size=(40, 40)))
    yield home
    del os.environ['FACEMASK_HOME']


def dataset_shas(split=None):
    from facemask.data import load_dataset
    m = load_dataset().manifest
    return set((m if split is None else m[m['split'] == split])['sha256'])


def production():
    from facemask.registry import production_run
    return production_run()


def wait_for_epoch(run_id, timeout=180):
    from facemask.registry import runs_dir
    progress = runs_dir() / run_id / 'progress.jsonl'
    deadline = time.time() + timeout
    while not (progress.exists() and progress.read_text().strip()):
        assert time.time() < deadline, f'{run_id} wrote no epoch in {timeout} s'
        time.sleep(0.5)


def start_endless(*args):
    out = facemask('retrain', '--no-wait', *args, *ENDLESS).stdout
    return out.split('run ')[-1].split(' started')[0]


def test_retrain_adds_images_and_records_the_decision(retrain_home, tmp_path):
    from facemask.registry import runs_dir
    before, test_before = dataset_shas(), dataset_shas('test')
    new = make_class_tree(tmp_path / 'batch' / 'extra', 4, seed=77, learnable=True, size=(40, 40))
    out = facemask('retrain', '--data', new, *FAST).stdout
    assert '12 added' in out and 'staged as batch' in out and 'epoch 2' in out
    run = runs()[-1]
    assert (run['kind'], run['status']) == ('retrain', 'succeeded')
    assert run['decision']['reason'] in out and 'challenger' in out and 'production (shipped)' in out
    assert len(dataset_shas() - before) == 12 and dataset_shas('test') == test_before
    assert run['dataset'] != run['params'].get('dataset')   # a new version, recorded with the run
    from facemask.core import read_json
    from facemask.registry import SHIPPED
    from facemask.served import model_dir
    from facemask.train import ARCHITECTURE_PARAMS
    shipped = read_json(model_dir(SHIPPED)/'metrics.json')['params']   # what was fine-tuned, not the defaults
    assert {k: run['params'][k] for k in ARCHITECTURE_PARAMS} == {k: shipped[k] for k in ARCHITECTURE_PARAMS}
    for name in ('train.ipynb', 'job.log', 'production_metrics.json', 'model.keras', 'model.tflite', 'metrics.json'):
        assert (runs_dir() / run['run_id'] / name).exists(), name
    again = facemask('retrain', '--data', new, *FAST).stdout
    assert '0 added, 12 duplicates' in again


def test_second_request_is_refused_and_cancel_stops_the_run(retrain_home):
    from facemask.registry import get_run
    from facemask.runs import _alive
    serving = production()
    run_id = start_endless()
    refused = facemask('retrain', check=False)
    assert refused.returncode == 1
    assert f'a retraining is already running (run {run_id}, started at ' in refused.stderr and 'Traceback' not in refused.stderr
    job = get_run(run_id)['pid']
    assert f'cancelled run {run_id}' in facemask('retrain', '--cancel').stdout
    assert get_run(run_id)['status'] == 'cancelled' and not _alive(job)
    assert production() == serving


def test_kill_9_mid_run_loses_nothing_and_the_next_run_works(retrain_home, tmp_path):
    from facemask.registry import get_run
    serving = production()
    new = make_class_tree(tmp_path / 'batch' / 'late', 3, seed=99, learnable=True, size=(40, 40))
    run_id = start_endless('--data', new)
    wait_for_epoch(run_id)
    os.kill(get_run(run_id)['pid'], signal.SIGKILL)
    time.sleep(1)
    killed = get_run(run_id)
    assert killed['status'] == 'failed' and 'killed' in killed['error']
    assert production() == serving
    from facemask.retrain import pending_uploads
    assert pending_uploads() == [] and len(dataset_shas()) >= 16 * 3 + 12 + 9   # the batch went into a dataset version first
    assert facemask('predict', '--json', next(new.rglob('*.png'))).returncode == 0
    facemask('retrain', *FAST)
    assert runs()[-1]['status'] == 'succeeded'


def test_a_retraining_learns_the_review_queue_and_is_judged_on_the_site(retrain_home):
    """Faces labelled in the review queue join the next retraining (a fifth of the photos kept back as the site's test faces),
    and the decision is the site's when they are enough to decide: measured on those test faces, recorded with its margins;
    nothing is sent twice."""
    from facemask.core import CLASS_NAMES, REVIEW_SOURCE, SITE_MIN_TEST_FACES
    from facemask.data import load_dataset
    from facemask.review import Collector, label_face, new_face_id, queue_faces, site_test_group
    from facemask.testing import learnable_image
    collector, truth, photos, kept_back = Collector('api', sample=1), {}, 0, 0
    while kept_back < SITE_MIN_TEST_FACES:   # enough site test faces to decide
        face_id, label = new_face_id(), CLASS_NAMES[photos % 3]
        collector.offer(face_id, learnable_image(label, 40, 40, seed=9000 + photos), {c: 1 / 3 for c in CLASS_NAMES}, 'with_mask',
                        'shipped',
                        f'site{photos}.jpg', group=f'site:photo{photos}')
        truth[face_id], kept_back, photos = label, kept_back + site_test_group(f'site:photo{photos}'), photos + 1
    collector.flush()
    for face in queue_faces(): label_face(face['id'], truth[face['id']], by='test')
    out = facemask('retrain', *FAST, '-p', 'oversample_site', '3', '-p', 'select_on', 'val_real_site_macro_f1').stdout
    assert (f"review queue: {photos - kept_back} labelled face(s) join this retraining; "
            f"it is judged on the site's {kept_back} test face(s)") in out
    run = runs()[-1]
    assert run['status'] == 'succeeded' and run['decision']['site']['challenger']['n'] == kept_back
    assert run['decision']['tolerance'] > 0 and "site's" in run['decision']['reason']
    assert (load_dataset().manifest['source'] == REVIEW_SOURCE).sum() == photos - kept_back
    assert 'site test faces' in out   # in the comparison table
    assert 'review queue: 0 labelled face(s) join' in facemask('retrain', *FAST).stdout   # nothing is sent twice
