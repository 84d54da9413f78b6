"""What the training-run tests share: a tiny network's parameters, the runs of a home."""
import json

from conftest import facemask

TINY = ['-p', 'arch', 'cnn', '-p', 'epochs', '2', '-p', 'image_size', '32', '-p', 'width', '8', '-p', 'depth', '2']


def runs():
    return [json.loads(l) for l in facemask('runs', '--json').stdout.splitlines()]
