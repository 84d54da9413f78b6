"""Runs that fail or are killed change nothing: the run is recorded as failed, production stays, and the next run succeeds."""
import os
import signal
import subprocess
import time

from conftest import FACEMASK, facemask
from toy_runs import TINY, runs


def test_failed_run_changes_nothing(toy_home):
    production = [r['run_id'] for r in runs() if r['production']]
    res = facemask('train', '-p', 'image_size', '2', check=False)   # too small for the network: fails while building
    assert res.returncode == 1 and 'failed' in res.stderr
    assert runs()[-1]['status'] == 'failed'
    assert [r['run_id'] for r in runs() if r['production']] == production


def test_kill_9_mid_run_then_next_run_succeeds(toy_home):
    production = [r['run_id'] for r in runs() if r['production']]
    proc = subprocess.Popen([FACEMASK, 'train', '-p', 'arch', 'cnn', '-p', 'epochs', '40', '-p', 'image_size', '32', '-p', 'width', '8',
                             '-p', 'depth', '2',
                             '-p', 'patience', '40'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 240
    progress = None
    while time.time() < deadline and not progress:
        progress = list((toy_home / 'outputs' / 'runs').glob('*/progress.jsonl'))
        progress = [p for p in progress if not (p.parent / 'model.keras').exists()]
        time.sleep(0.5)
    assert progress, 'the run never started training'
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = progress[0].parent.name
    statuses = {r['run_id']: r['status'] for r in runs()}
    assert statuses[killed] == 'failed'
    assert [r['run_id'] for r in runs() if r['production']] == production
    assert 'succeeded' in facemask('train', *TINY).stdout
