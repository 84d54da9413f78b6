"""The installed `facemask` console command, run as a user would, in a fresh FACEMASK_HOME."""
import hashlib
import http.server
import functools
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import FACEMASK, facemask
from corpus import bad_input_corpus
from facemask.cli import command_paths
from facemask.testing import make_class_tree, noise_image

COMMANDS = command_paths()   # every command, from the parser itself


@pytest.mark.parametrize('cmd', COMMANDS, ids=lambda c: ' '.join(c) or 'facemask')
def test_every_command_has_help(cmd):
    out = facemask(*cmd, '--help').stdout
    assert out.startswith('usage: facemask')


def test_top_level_help_lists_subcommands():
    out = facemask('--help').stdout
    for cmd in {path[0] for path in COMMANDS if path}:
        assert f'    {cmd} ' in out or f'    {cmd}\n' in out, cmd


def test_the_guide_names_every_command():
    guide = (Path(__file__).parents[1] / 'nbs' / 'guide' / 'cli.md').read_text()
    assert [words for words in COMMANDS if words and f"`facemask {' '.join(words)}" not in guide] == []


def test_import_then_stats(home, tmp_path):
    src = make_class_tree(tmp_path / 'clinic', per_class=5)
    for name, (data, _) in bad_input_corpus().items():
        (src / 'with_mask' / name).write_bytes(data)
    out = facemask('data', 'import', src).stdout
    assert '21 added, 0 duplicates dropped, 5 rejected' in out
    assert 'zero_bytes.jpg — empty file (0 bytes)' in out
    stats = facemask('data', 'stats').stdout
    assert 'clinic' in stats and 'mask_weared_incorrect' in stats
    assert 'faces@' in facemask('data', 'list').stdout
    assert (home / 'data' / 'datasets' / 'faces' / 'LATEST').exists()


def test_errors_are_one_clear_line(home, tmp_path):
    res = facemask('data', 'import', tmp_path / 'missing', check=False)
    assert res.returncode == 1 and 'no such file or folder' in res.stderr and 'Traceback' not in res.stderr
    (tmp_path / 'flat').mkdir()
    res = facemask('data', 'import', tmp_path / 'flat', check=False)
    assert res.returncode == 1 and 'no class folders found' in res.stderr
    res = facemask('data', 'stats', check=False)
    assert res.returncode == 1 and 'facemask data import' in res.stderr
    res = facemask('bench', tmp_path / 'flat', tmp_path / 'missing.jpg', check=False)
    assert res.returncode == 1 and 'no such image file' in res.stderr and 'Traceback' not in res.stderr


def test_bench_takes_a_folder(home, tmp_path):
    "Every command that takes image paths takes folders: facemask bench on a folder of images."
    for i in range(2): noise_image(64, 64, seed=i).save(tmp_path / f'{i}.jpg')
    out = facemask('bench', tmp_path, '--repeats', '5').stdout
    assert 'over 2 files' in out and 'for 2 of 2 images' in out, out


@pytest.mark.parametrize('args,status', [(['runs'], 141), (['--help'], 0)], ids=['runs', '--help'])
def test_a_closed_pipe_ends_quietly(home, args, status):
    "`facemask runs --json | head -1` and the like: no BrokenPipeError traceback when the reader has gone."
    import os
    read_end, write_end = os.pipe()
    os.close(read_end)   # the reader is gone before the first write
    res = subprocess.run([FACEMASK, *args], stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
    os.close(write_end)
    assert (res.returncode, res.stderr) == (status, '')   # argparse itself drops a help text that cannot be written


def test_a_file_named_zip_that_is_not_one_is_named_so(home, tmp_path):
    src = make_class_tree(tmp_path / 'clinic', per_class=2)
    (tmp_path / 'broken.zip').write_bytes(b'PK not an archive')
    res = facemask('data', 'import', src, tmp_path / 'broken.zip', check=False)
    assert (res.returncode, res.stderr.strip()) == (1, f"facemask: error: {tmp_path / 'broken.zip'}: not a valid zip archive")
    assert facemask('data', 'list', check=False).stdout.count('clinic') == 0   # nothing was imported


def test_progress_in_a_log_is_plain_lines(home, tmp_path):
    "Progress written to a file (a container log, CI): a few plain lines, no carriage returns."
    src = make_class_tree(tmp_path / 'clinic', per_class=3)
    res = facemask('data', 'import', src)
    assert '\r' not in res.stderr and 'checking images' in res.stderr


def test_watch_a_generated_clip(home, tmp_path):
    "A video: one JSON line per frame on stdout, the report and the annotated video written; a broken video is one clear error."
    import json
    from facemask.video import frames, open_video, write_clip
    clip = write_clip([noise_image(320, 240, seed=s) for s in (1, 2)], tmp_path / 'clip.mp4', frames_per_image=6)
    res = facemask('watch', clip, '--json', '-', '--out', tmp_path / 'out' / 'annotated.mp4', '--report', tmp_path / 'report.json')
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert [line['frame'] for line in lines] == list(range(12)) and all(isinstance(line['faces'], list) for line in lines)
    report = json.loads((tmp_path / 'report.json').read_text())
    assert report['frames'] == 12 and report['people'] == [] and '12 frames in' in res.stderr
    assert len(list(frames(open_video(tmp_path / 'out' / 'annotated.mp4')))) == 12
    assert not list((tmp_path / 'out').glob('.*partial*'))   # written to a temporary name, then renamed
    res = facemask('watch', clip, '--every', '4', '--max-frames', '2')
    assert res.stdout.startswith('2 frames in')
    (tmp_path / 'broken.mp4').write_bytes(b'not a video')
    res = facemask('watch', tmp_path / 'broken.mp4', check=False)
    error = f"facemask: error: {tmp_path / 'broken.mp4'}: not a video this build of OpenCV can decode"
    assert (res.returncode, res.stderr.strip()) == (1, error)


def test_evaluate_faces_on_annotated_photos(home, tmp_path):
    """Annotated photos named like their source: a report per folder with the model asked for; an unknown model, or no photo in the split,
    is one clear error."""
    folder = tmp_path / 'street'
    (folder / 'images').mkdir(parents=True)
    for i in (1, 2): noise_image(160, 120, seed=i).save(folder / 'images' / f'p{i}.jpg')
    (folder / 'annotations.csv').write_text('file,xmin,ymin,xmax,ymax,label\np1.jpg,10,10,60,70,with_mask\n'
                                            'p2.jpg,20,20,70,80,without_mask\np2.jpg,90,10,100,20,with_mask\n')
    out = facemask('evaluate-faces', 'shipped', '--photos', folder, '--all-photos').stdout
    assert out.startswith('street (all photos): 2 photos, 3 labelled faces (2 of 32 px or more)')
    assert 'with_mask                  1 faces >= 32 px: found 0.000' in out   # noise holds no face to find
    res = facemask('evaluate-faces', 'train-nosuchrun', '--photos', folder, '--all-photos', check=False)
    assert res.returncode == 1 and 'train-nosuchrun' in res.stderr and 'Traceback' not in res.stderr
    facemask('data', 'import', make_class_tree(tmp_path / 'clinic', per_class=2))   # its crops come from no photo of the folder
    res = facemask('evaluate-faces', 'shipped', '--photos', folder, '--split', 'val', check=False)
    assert res.returncode == 1 and 'no annotated photo has all its face crops in the val split of faces@' in res.stderr


@pytest.fixture
def served_zip(tmp_path):
    "A loopback HTTP server serving a generated class-folder archive."
    import shutil
    site = make_class_tree(tmp_path / 'www' / 'masks', per_class=2, seed=3)
    archive = shutil.make_archive(str(tmp_path / 'www' / 'masks'), 'zip', site.parent, 'masks')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / 'www'))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{server.server_address[1]}/masks.zip', hashlib.sha256(open(archive, 'rb').read()).hexdigest()
    server.shutdown()


def test_fetch_verifies_checksum_then_imports(home, served_zip):
    url, sha = served_zip
    res = facemask('data', 'fetch', url, '--sha256', 'ab' * 32, check=False)
    assert res.returncode == 1 and f'got {sha}' in res.stderr
    assert not (home / 'data' / 'datasets').exists()
    out = facemask('data', 'fetch', url, '--sha256', sha).stdout
    assert '6 added' in out
    assert facemask('data', 'fetch', url, check=False).returncode == 1


def test_fetch_lists_known_sources():
    assert 'chandrikadeb7' in facemask('data', 'fetch').stdout


def test_review_loop_on_the_command_line(home, tmp_path):
    """predict --collect keeps faces (all of them with a sample share of 1); review --export, label folders and labels.csv, --import,
    --correct by a printed id, counts, --purge: what a person labelling elsewhere does."""
    import csv, json, os
    images = make_class_tree(tmp_path / 'site', per_class=2, seed=31)
    env_sample = {'FACEMASK_REVIEW_SAMPLE': '1'}
    res = subprocess.run([FACEMASK, 'predict', '--collect', '--json', images], capture_output=True, text=True, timeout=300,
                         env={**os.environ, **env_sample})
    assert res.returncode == 0, res.stderr
    ids = [json.loads(line)['id'] for line in res.stdout.splitlines()]
    assert len(ids) == 6 and 'review queue: 6 face(s) waiting' in res.stderr
    out = tmp_path / 'to-label'
    assert '6 face(s) written' in facemask('review', '--export', out).stdout
    rows = list(csv.DictReader(open(out / 'labels.csv')))
    (out / 'to_label' / f'{rows[0]["id"]}.jpg').rename(out / 'without_mask' / f'{rows[0]["id"]}.jpg')
    rows[1]['label'] = 'with_mask'
    rows[2]['label'] = 'beard'
    with open(out / 'labels.csv', 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0])); writer.writeheader(); writer.writerows(rows)
    res = facemask('review', '--import', out, check=False)
    assert res.returncode == 1 and '2 face(s) labelled' in res.stdout and 'unknown label "beard"' in res.stdout
    corrected = next(i for i in ids if i not in (rows[0]['id'], rows[1]['id']))
    assert f'face {corrected}: labelled mask_weared_incorrect' in facemask('review', '--correct', corrected, 'mask_weared_incorrect').stdout
    res = facemask('review', '--correct', corrected, 'with_mask', check=False)
    assert res.returncode == 1 and 'already labelled mask_weared_incorrect' in res.stderr
    counts = json.loads(facemask('review', '--json').stdout)
    assert counts['waiting'] == 3 and sum(v['faces'] for v in counts['labelled'].values()) == 3
    assert 'removed 3 face(s)' in facemask('review', '--purge').stdout
    assert json.loads(facemask('review', '--json').stdout)['waiting'] == 0
    res = facemask('review', '--older-than', '3', check=False)
    assert res.returncode == 1 and '--older-than and --labelled go with --purge' in res.stderr
    res = facemask('review', '--correct', ids[-1], 'scarf', check=False)
    assert res.returncode == 1 and 'unknown label "scarf"' in res.stderr and 'Traceback' not in res.stderr
