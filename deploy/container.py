"""Build and run the facemask API image with whatever container engine this machine has: docker when its daemon
answers, else rootful podman with the settings that work on these machines (no registry to pull from, so podman's
base image is made here from Debian packages with debootstrap).

    python deploy/container.py build                 # = make image; prints the image size
    python deploy/container.py run --port 8000 [--volume facemask-state] [--token TOKEN]
    python deploy/container.py stop NAME
    python deploy/container.py replicas 2 --port 8000   # 2 API replicas sharing one state volume behind nginx
    python deploy/container.py down                     # stop them and the balancer

Tests and the load tests import it: `engine()`, `build()`, `start()`, `stop()`, `start_replicas()`, `stop_replicas()`.
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

from facemask.core import free_port

ROOT = Path(__file__).resolve().parent.parent
IMAGE = 'localhost/facemask-api:latest'
BALANCER_IMAGE = 'localhost/facemask-balancer:latest'
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


def build(cmd: list | None = None, image: str = IMAGE, dockerfile: Path = ROOT / 'Dockerfile') -> int:
    "Build an image (the API's by default); return its size in bytes."
    cmd = cmd or engine()
    if cmd is None: raise SystemExit('no container engine: start a Docker daemon, or install podman (nbs/guide/deploy.md)')
    extra = []
    if cmd[0] == 'podman':
        podman_base(cmd)
        extra = ['--network', 'host', '--format', 'docker', '--build-arg', f'BASE_IMAGE={PODMAN_BASE}',
                 *(['--volume', f'{CA_BUNDLE}:{CA_BUNDLE}:ro'] if CA_BUNDLE.exists() else [])]
    subprocess.run([*cmd, 'build', *extra, '-f', str(dockerfile), '-t', image, str(ROOT)], check=True)
    return int(subprocess.run([*cmd, 'image', 'inspect', image, '--format', '{{.Size}}'], capture_output=True, text=True,
                              check=True).stdout.strip())


def publish(cmd: list, port: int) -> list:
    "The run options that make a container's `port` this machine's: podman shares the host's network (rootful host networking works here)."
    return ['--network', 'host'] if cmd[0] == 'podman' else ['-p', f'{port}:{port}']


def start(cmd: list, name: str, port: int, workers: int = 2, volume: str | None = None, env: dict | None = None) -> str:
    "Start the API container `name` serving on `port` of this machine; return its name once /health answers."
    state = ['-v', f'{volume}:/state'] if volume else []
    env = {'FACEMASK_PORT': str(port), **(env or {})}
    started = subprocess.run([*cmd, 'run', '-d', '--rm', '--name', name, *publish(cmd, port), *state, *[a for k, v in env.items() for a in ('-e', f'{k}={v}')],
                              IMAGE, '--workers', str(workers)], capture_output=True, text=True)
    # podman without systemd logs that it cannot schedule the healthcheck; the container runs all the same
    if started.returncode: raise RuntimeError(f'could not start container {name}: {started.stderr.strip()}')
    if answers_health(port, 180): return name
    logs = subprocess.run([*cmd, 'logs', name], capture_output=True, text=True).stdout[-2000:]
    stop(cmd, name)
    raise RuntimeError(f'container {name} did not answer /health on port {port} within 180 s:\n{logs}')


def answers_health(port: int, timeout_s: float, path: str = '/health') -> bool:
    "Whether http://127.0.0.1:`port``path` answers within `timeout_s`."
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f'http://127.0.0.1:{port}{path}', timeout=2): return True
        except OSError: time.sleep(0.3)
    return False


def stop(cmd: list, name: str):
    "Stop (and so remove) a container started by `start`."
    subprocess.run([*cmd, 'stop', '-t', '10', name], capture_output=True)


def nginx_conf(listen: int, upstreams: list) -> str:
    "nginx balancing `upstreams` (ports on this machine) on port `listen`: least connections, WebSockets passed through."
    servers = ''.join(f'        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;\n' for port in upstreams)
    return f"""worker_processes 1;
pid /tmp/nginx-facemask-{listen}.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_max_body_size 200m;   # the API's own limits answer with their JSON errors
    client_body_temp_path /tmp/nginx-body-{listen};
    proxy_temp_path /tmp/nginx-proxy-{listen};
    map $http_upgrade $connection_upgrade {{ default upgrade; '' ''; }}
    upstream facemask {{
        least_conn;
{servers}        keepalive 64;
    }}
    server {{
        listen {listen};
        location / {{
            proxy_pass http://facemask;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_read_timeout 3600s;
            # a replica that refuses the connection (killed, restarting) is skipped: the request goes to the next one
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}
}}
"""


def start_replicas(cmd: list, replicas: int, port: int, workers: int = 1, volume: str = 'facemask-state', env: dict | None = None,
                   prefix: str = 'facemask') -> dict:
    """Start `replicas` API containers sharing the state volume, on free ports, and nginx balancing them on `port`;
    return `{'balancer': name, 'replicas': {name: port}, 'config': path}`."""
    if subprocess.run([*cmd, 'image', 'exists', BALANCER_IMAGE], capture_output=True).returncode != 0:
        build(cmd, BALANCER_IMAGE, Path(__file__).resolve().parent / 'balancer.Dockerfile')
    ports = {f'{prefix}-replica{i}': free_port() for i in range(1, replicas + 1)}
    config = Path(tempfile.gettempdir()) / f'{prefix}-nginx-{port}.conf'
    config.write_text(nginx_conf(port, list(ports.values())))
    started = []
    try:
        for name, replica_port in ports.items(): started.append(start(cmd, name, replica_port, workers, volume, env))
        subprocess.run([*cmd, 'run', '-d', '--rm', '--name', f'{prefix}-balancer', *publish(cmd, port), '-v', f'{config}:/etc/facemask/nginx.conf:ro',
                        BALANCER_IMAGE], check=True, capture_output=True)
        started.append(f'{prefix}-balancer')
        if not answers_health(port, 60): raise RuntimeError(f'nginx did not answer on port {port}')
    except BaseException:
        for name in started: stop(cmd, name)
        raise
    return {'balancer': f'{prefix}-balancer', 'replicas': ports, 'config': config}


def stop_replicas(cmd: list, deployment: dict):
    for name in [deployment['balancer'], *deployment['replicas']]: stop(cmd, name)


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
    r = sub.add_parser('replicas', help='start N API replicas sharing one state volume behind nginx')
    r.add_argument('count', type=int)
    r.add_argument('--port', type=int, default=8000, help='where nginx listens (default: %(default)s)')
    r.add_argument('--workers', type=int, default=1, help='workers per replica (default: %(default)s)')
    r.add_argument('--volume', default='facemask-state')
    r.add_argument('--token', help='API token guarding changes (FACEMASK_API_TOKEN in every replica)')
    sub.add_parser('down', help='stop the replicas and the balancer that replicas started')
    args = p.parse_args()
    cmd = engine()
    if cmd is None: raise SystemExit('no container engine: start a Docker daemon, or install podman (nbs/guide/deploy.md)')
    if args.action == 'build': print(f'{IMAGE}: {build(cmd) / 1e9:.2f} GB ({" ".join(cmd)})')
    elif args.action == 'run':
        start(cmd, args.name, args.port, args.workers, args.volume, {'FACEMASK_API_TOKEN': args.token} if args.token else None)
        print(f'{args.name}: http://127.0.0.1:{args.port}/health answers')
    elif args.action == 'replicas':
        deployment = start_replicas(cmd, args.count, args.port, args.workers, args.volume,
                                    {'FACEMASK_API_TOKEN': args.token} if args.token else None)
        print(f"nginx on http://127.0.0.1:{args.port}/ balancing {', '.join(f'{n} (:{p})' for n, p in deployment['replicas'].items())}")
    elif args.action == 'down':
        names = subprocess.run([*cmd, 'ps', '--format', '{{.Names}}'], capture_output=True, text=True).stdout.split()
        for name in names:
            if re.fullmatch(r'facemask-(replica\d+|balancer)', name): stop(cmd, name)
    else: stop(cmd, args.name)


if __name__ == '__main__':
    sys.exit(main())
