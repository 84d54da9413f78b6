"""What the training-run tests share: the `facemask` command, a tiny network's parameters, the runs of a home."""
import json
import subprocess
import sys
from pathlib import Path

FACEMASK = str(Path(sys.executable).parent / 'facemask')
TINY = ['-p', 'arch', 'cnn', '-p', 'epochs', '2', '-p', 'image_size', '32', '-p', 'width', '8', '-p', 'depth', '2']


def facemask(*args, check=True):
    res = subprocess.run([FACEMASK, *map(str, args)], capture_output=True, text=True, timeout=600)
    if check: assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    return res


def runs():
    return [json.loads(l) for l in facemask('runs', '--json').stdout.splitlines()]
