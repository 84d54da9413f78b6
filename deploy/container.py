"""Build and run the facemask API image with whatever container engine this machine has: docker when its daemon
answers, else rootful podman with the settings that work on these machines (no registry to pull from, so podman's
base image is made here from Debian packages with debootstrap).

    python deploy/container.py build                 # = make image; prints the image size
    python deploy/container.py run --port 8000 [--volume facemask-state] [--token TOKEN]
    python deploy/container.py stop NAME

Tests and the load test import it: `engine()`, `build()`, `start()`, `stop()`.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGE = 'localhost/facemask-api:latest'
PODMAN_BASE = 'localhost/debian-python:3.11'   # Debian bookworm's Python 3.11 with venv and pip
CONTAINERS_CONF = Path(__file__).resolve().parent / 'containers.conf'
CA_BUNDLE = Path('/etc/ssl/certs/ca-certificates.crt')   # so pip inside the build trusts this machine's certificates


def engine() -> list | None:
    "The engine command: ['docker'] when a Docker daemon answers, podman's with this machine's settings when it runs, else None."
    if shutil.which('docker') and subprocess.run(['docker', 'info'], capture_output=True).returncode == 0: return ['docker']
    if shutil.which('podman'):
        os.environ.setdefault('CONTAINERS_CONF', str(CONTAINERS_CONF))
        podman = ['podman', '--runtime', 'runc']   # crun refuses these machines' cgroups
        if subprocess.run([*podman, 'info'], capture_output=True).returncode == 0: return podman
    return None


def debian_mirror() -> str:
    "The Debian mirror in this machine's apt sources (deb.debian.org when none is found)."
    for f in [Path('/etc/apt/sources.list'), *Path('/etc/apt/sources.list.d').glob('*.sources')]:
        text = f.read_text() if f.exists() else ''
        found = re.search(r'^URIs:\s*(\S+/debian)\s*$', text, re.M) or re.search(r'^deb\s+(\S+/debian)\s+bookworm\b', text, re.M)
        if found: return found.group(1)
    return 'http://deb.debian.org/debian'


def podman_base(cmd: list):
    "Make the base image from Debian packages (debootstrap, ~1 min) unless it is there already."
    if subprocess.run([*cmd, 'image', 'exists', PODMAN_BASE]).returncode == 0: return
    if not shutil.which('debootstrap'): raise SystemExit('debootstrap is needed to make the base image: apt-get install debootstrap')
    with tempfile.TemporaryDirectory() as tmp:
        rootfs = Path(tmp) / 'rootfs'
        subprocess.run(['debootstrap', '--variant=minbase', '--include=python3,python3-venv,python3-pip,ca-certificates',
                        'bookworm', str(rootfs), debian_mirror()], check=True, stdout=subprocess.DEVNULL)
        tar = subprocess.Popen(['tar', '-C', str(rootfs), '-c', '.'], stdout=subprocess.PIPE)
        subprocess.run([*cmd, 'import', '-', PODMAN_BASE], stdin=tar.stdout, check=True, stdout=subprocess.DEVNULL)
        tar.wait()


def build(cmd: list | None = None) -> int:
    "Build the API image; return its size in bytes."
    cmd = cmd or engine()
    if cmd is None: raise SystemExit('no container engine: start a Docker daemon, or install podman (README, "Containers")')
    extra = []
    if cmd[0] == 'podman':
        podman_base(cmd)
        extra = ['--network', 'host', '--format', 'docker', '--build-arg', f'BASE_IMAGE={PODMAN_BASE}',
                 *(['--volume', f'{CA_BUNDLE}:{CA_BUNDLE}:ro'] if CA_BUNDLE.exists() else [])]
    subprocess.run([*cmd, 'build', *extra, '-t', IMAGE, str(ROOT)], check=True)
    return int(subprocess.run([*cmd, 'image', 'inspect', IMAGE, '--format', '{{.Size}}'], capture_output=True, text=True,
                              check=True).stdout.strip())


def start(cmd: list, name: str, port: int, workers: int = 2, volume: str | None = None, env: dict | None = None) -> str:
    "Start the API container `name` serving on `port` of this machine; return its name once /health answers."
    network = ['--network', 'host'] if cmd[0] == 'podman' else ['-p', f'{port}:{port}']   # podman: rootful host networking works here
    state = ['-v', f'{volume}:/state'] if volume else []
    env = {'FACEMASK_PORT': str(port), **(env or {})}
    started = subprocess.run([*cmd, 'run', '-d', '--rm', '--name', name, *network, *state, *[a for k, v in env.items() for a in ('-e', f'{k}={v}')],
                              IMAGE, '--workers', str(workers)], capture_output=True, text=True)
    # podman without systemd logs that it cannot schedule the healthcheck; the container runs all the same
    if started.returncode: raise RuntimeError(f'could not start container {name}: {started.stderr.strip()}')
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f'http://127.0.0.1:{port}/health', timeout=2): return name
        except OSError: time.sleep(0.5)
    logs = subprocess.run([*cmd, 'logs', name], capture_output=True, text=True).stdout[-2000:]
    stop(cmd, name)
    raise RuntimeError(f'container {name} did not answer /health on port {port} within 180 s:\n{logs}')


def stop(cmd: list, name: str):
    "Stop (and so remove) a container started by `start`."
    subprocess.run([*cmd, 'stop', '-t', '10', name], capture_output=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = p.add_subparsers(dest='action', required=True)
    sub.add_parser('build', help='build the API image')
    r = sub.add_parser('run', help='start the API container (detached) and wait for /health')
    r.add_argument('--name', default='facemask-api')
    r.add_argument('--port', type=int, default=8000)
    r.add_argument('--workers', type=int, default=2)
    r.add_argument('--volume', default='facemask-state', help='named volume for the state (registry, runs, models)')
    r.add_argument('--token', help='API token guarding changes (FACEMASK_API_TOKEN in the container)')
    s = sub.add_parser('stop', help='stop a container started by run')
    s.add_argument('name', nargs='?', default='facemask-api')
    args = p.parse_args()
    cmd = engine()
    if cmd is None: raise SystemExit('no container engine: start a Docker daemon, or install podman (README, "Containers")')
    if args.action == 'build': print(f'{IMAGE}: {build(cmd) / 1e9:.2f} GB ({" ".join(cmd)})')
    elif args.action == 'run':
        start(cmd, args.name, args.port, args.workers, args.volume, {'FACEMASK_API_TOKEN': args.token} if args.token else None)
        print(f'{args.name}: http://127.0.0.1:{args.port}/health answers')
    else: stop(cmd, args.name)


if __name__ == '__main__':
    sys.exit(main())
