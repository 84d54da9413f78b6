"""Fresh state, what a new container volume is: an empty FACEMASK_HOME opened by many processes at once."""
import os
import subprocess
import sys
import time

OPEN_REGISTRY = ('import sys, time\nfrom facemask.registry import list_runs\n'
                 'time.sleep(max(0.0, float(sys.argv[1]) - time.time()))\nlist_runs()')


def test_many_processes_open_a_new_registry_at_once(tmp_path):
    "12 processes (like `facemask serve` workers) open a registry that does not exist yet, at the same instant, 4 times: none fails."
    failed = []
    for attempt in range(4):
        start = time.time() + 3   # each process imports first, then all open the registry at this instant
        env = {**os.environ, 'FACEMASK_HOME': str(tmp_path / f'home{attempt}')}
        procs = [subprocess.Popen([sys.executable, '-c', OPEN_REGISTRY, str(start)], env=env, stderr=subprocess.PIPE, text=True)
                 for _ in range(12)]
        failed += [err for p in procs for err in [p.communicate(timeout=120)[1]] if p.returncode]
    assert failed == []
