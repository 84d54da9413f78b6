import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

FACEMASK = str(Path(sys.executable).parent / 'facemask')   # the console script of this environment


def facemask(*args, check=True, env=None, timeout=600):
    "Run the `facemask` command as a user would; with `check`, fail the test with its output's end unless it succeeds."
    res = subprocess.run([FACEMASK, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env)
    if check: assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    return res


@pytest.fixture
def home(tmp_path, monkeypatch):
    "A fresh FACEMASK_HOME for one test (also passed to subprocesses through the environment)."
    h = tmp_path / 'home'
    h.mkdir()
    monkeypatch.setenv('FACEMASK_HOME', str(h))
    return h


@pytest.fixture(scope='module')
def toy_home(tmp_path_factory):
    "A FACEMASK_HOME with a small colour-coded dataset named like the real-photo source, one per test module."
    from facemask.testing import make_class_tree
    home = tmp_path_factory.mktemp('home')
    os.environ['FACEMASK_HOME'] = str(home)
    src = make_class_tree(tmp_path_factory.mktemp('src') / 'andrewmvd', 24, learnable=True, size=(40, 40))
    facemask('data', 'import', src)
    yield home
    del os.environ['FACEMASK_HOME']


# by `pytest --durations` on 2 cores, slowest first
SLOWEST_FIRST = ['test_train_runs.py', 'test_retrain.py', 'test_tune.py', 'test_train_cascade.py', 'test_docs.py', 'test_monitoring.py',
                 'test_run_failures.py', 'test_dashboard_browser.py', 'test_cli.py', 'test_cameras.py']


SLOW_FILES = {'test_train_runs.py', 'test_retrain.py', 'test_tune.py', 'test_train_cascade.py', 'test_run_failures.py',   # training
              'test_container.py', 'test_binder.py',                                                     # containers
              'test_monitoring.py', 'test_cameras.py', 'test_docs.py',      # real servers and streams; every notebook executed
              'test_dashboard_browser.py', 'test_dashboard_guard.py'}                                    # browsers


def pytest_configure(config):
    config.addinivalue_line('markers', 'slow: trains, builds containers, runs real servers or a browser '
                                       '(`make test-fast` leaves these out; SLOW_FILES marks whole files)')


def pytest_collection_modifyitems(items):
    "The slow files marked; the slowest files first, so that the two processes of `make test` (`-n 2 --dist loadfile`) finish together."
    for item in items:
        if item.path.name in SLOW_FILES: item.add_marker(pytest.mark.slow)
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))   # stable: each file's own order stays
