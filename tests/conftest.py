import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def home(tmp_path, monkeypatch):
    "A fresh FACEMASK_HOME for one test (also passed to subprocesses through the environment)."
    h = tmp_path / 'home'
    h.mkdir()
    monkeypatch.setenv('FACEMASK_HOME', str(h))
    return h
