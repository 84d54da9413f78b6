"""Runs that reach beyond one network: a cascade (a second network on the faces the first is unsure of) kept by fine-tuning,
and a run measuring itself behind the face detector on annotated photos."""
import json

from facemask.core import CLASS_NAMES
from conftest import facemask
from toy_runs import TINY, runs


def test_a_cascade_is_measured_as_served_and_kept_by_fine_tuning(toy_home):
    if not runs(): facemask('train', *TINY)   # run alone: a first network to back the next
    first = runs()[0]['run_id']
    production = [r['run_id'] for r in runs() if r['production']]
    facemask('train', *TINY, '-p', 'second_stage', first, '-p', 'second_stage_margin', '1.0')   # margin 1: every face asks both
    cascade = runs()[-1]
    folder = toy_home / 'outputs' / 'runs' / cascade['run_id']
    metrics = json.loads((folder / 'metrics.json').read_text())
    assert metrics['second_stage'] == {'from': first, 'arch': 'cnn', 'image_size': 32, 'margin': 1.0}
    assert (folder / 'second_stage.tflite').read_bytes() == (toy_home / 'outputs' / 'runs' / first / 'model.tflite').read_bytes()
    assert metrics['test']['second_stage_share'] == 1.0 and 'A cascade' in (folder / 'model_card.md').read_text()
    assert 'a second network on 100.0% of the faces' in facemask('evaluate', cascade['run_id']).stdout
    facemask('promote', cascade['run_id'])
    facemask('train', *TINY, '-p', 'init', 'production', '-p', 'epochs', '0')   # fine-tuning production keeps its second stage
    tuned = runs()[-1]
    tuned_folder = toy_home / 'outputs' / 'runs' / tuned['run_id']
    assert tuned['params']['second_stage'] == 'production' and tuned['params']['second_stage_margin'] == 1.0
    tuned_metrics = json.loads((tuned_folder / 'metrics.json').read_text())
    assert tuned_metrics['second_stage']['from'] == first and tuned_metrics['initial_model'] == cascade['run_id']
    # 0 epochs: the same model
    assert tuned_metrics['epochs_trained'] == 0 and tuned_metrics['test']['overall'] == metrics['test']['overall']
    assert f"the network of run `{cascade['run_id']}` as it is" in (tuned_folder / 'model_card.md').read_text()
    assert (tuned_folder / 'second_stage.tflite').read_bytes() == (folder / 'second_stage.tflite').read_bytes()
    bad = facemask('train', *TINY, '-p', 'second_stage', 'teacher', check=False)
    assert bad.returncode != 0 and 'needs a run distilled from one teacher' in bad.stderr
    bad = facemask('train', *TINY, '-p', 'epochs', '0', check=False)
    assert bad.returncode != 0 and 'only with -p init production' in bad.stderr
    while [r['run_id'] for r in runs() if r['production']] != production: facemask('rollback')


def test_a_run_measures_itself_behind_the_face_detector(tmp_path, monkeypatch):
    """Annotated photos beside the data: each run records `faces_val` (its model behind the detector, on the validation photos) and shows it
    on its card."""
    from facemask.data import load_dataset
    from facemask.faces import split_photos
    from facemask.testing import learnable_image, noise_image
    shared = tmp_path / 'shared' / 'data'
    photos = shared / 'photos' / 'andrewmvd'
    (photos / 'images').mkdir(parents=True)
    boxes = []
    for i in range(36):   # one labelled face per photo; its crop is named <photo>_0 like the real sources'
        label = CLASS_NAMES[i % 3]
        noise_image(160, 120, seed=i).save(photos / 'images' / f'p{i}.jpg')
        boxes.append(f'p{i}.jpg,40,30,80,80,{label}')
        (shared / 'faces' / 'andrewmvd' / label).mkdir(parents=True, exist_ok=True)
        learnable_image(label, 40, 50, seed=i).save(shared / 'faces' / 'andrewmvd' / label / f'p{i}_0.png')
    (photos / 'annotations.csv').write_text('file,xmin,ymin,xmax,ymax,label\n' + '\n'.join(boxes) + '\n')
    monkeypatch.setenv('FACEMASK_HOME', str(tmp_path / 'home'))
    monkeypatch.setenv('FACEMASK_SHARED_DATA', str(shared))
    facemask('data', 'import', shared / 'faces' / 'andrewmvd')
    val_photos = split_photos(load_dataset().manifest, 'andrewmvd', 'val')
    assert val_photos
    facemask('train', *TINY)
    (run,) = runs()
    folder = tmp_path / 'home' / 'outputs' / 'runs' / run['run_id']
    faces = json.loads((folder / 'metrics.json').read_text())['faces_val']
    assert faces['photos'] == len(val_photos) and sum(v['faces'] for v in faces['per_class'].values()) == len(val_photos)
    assert '### Group photos and video (validation photos)' in (folder / 'model_card.md').read_text()
    res = facemask('train', *TINY, '-p', 'detector_crops', '1', check=False)   # generated noise holds no face to find
    assert res.returncode == 1 and 'found no labelled face in the train photos' in res.stderr
