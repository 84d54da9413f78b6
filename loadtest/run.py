"""Load-test the facemask API on loopback: for each target and worker count, start the server on a free port (`facemask
serve` on this machine, or the API image in a container), run a load generator for a fixed time at each user count (Locust
headless, wrk, or both one after the other), stop the server, and write a report, a CSV and a latency-vs-users plot.

    python loadtest/run.py [--targets host host+collect container] [--workers 1 2] [--users 1 8 32] [--seconds 10]
                           [--generator locust|wrk|both] [--out outputs/loadtest]

Locust (Python) takes a good part of the cores it shares with the server; wrk (C, `make wrk`) takes far less of them. wrk
posts the same /predict bodies as the Locust users (loadtest/predict.lua), but no /health and no group photos.
Every process started here is stopped by its PID, every container by its name. `make loadtest` runs this with the
defaults, and with the container as well when a container engine runs here (`make image` builds it).
"""
import argparse
import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from functools import partial
from pathlib import Path
from typing import Callable, NamedTuple

import psutil

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE.parent / 'deploy'))
sys.path.insert(0, str(HERE))   # locustfile: the request bodies (read at its import, so only when needed)
import container  # noqa: E402
from facemask.core import free_port  # noqa: E402


def wait_healthy(url: str, server: subprocess.Popen, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None: raise SystemExit(f'the server exited with status {server.returncode} before answering')
        try:
            with urllib.request.urlopen(url + '/health', timeout=2): return
        except OSError: time.sleep(0.5)
    raise SystemExit(f'the server did not answer {url}/health within {timeout:.0f} s')


def stop(proc: subprocess.Popen):
    "SIGTERM (uvicorn then stops its workers), SIGKILL if it is still there after 15 s."
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try: proc.wait(15)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait()


def cpu_seconds(pid: int) -> float:
    "User + system CPU time of a process and its children (uvicorn's workers)."
    procs = [psutil.Process(pid)]
    procs += procs[0].children(recursive=True)
    return sum(sum(p.cpu_times()[:2]) for p in procs)


def busy_cpu_seconds() -> float:
    "CPU seconds the whole machine has spent busy (every process, ours and everyone else's)."
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, 'iowait', 0)


def wait_settled(pid: int, timeout: float = 120):
    """Until the server and its workers are idle for half a second: /health answers as soon as one worker has started, and
    connections opened while another is still loading its model all go to the first (one worker serving, the other idle)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(0.5)
        if cpu_seconds(pid) - before < 0.05: return
    raise SystemExit(f'the server was still busy starting after {timeout:.0f} s')


def warm_up(url: str):
    "One group photo (loads the face detector) and a few faces, so the timed runs measure serving, not loading."
    from locustfile import FACES, PHOTOS
    for path, (body, headers) in [('/predict/faces', PHOTOS[0])] + [('/predict', f) for f in FACES[:20]]:
        with urllib.request.urlopen(urllib.request.Request(url + path, body, headers), timeout=120) as r: r.read()


def run_logged(cmd: list, seconds: int, log: Path):
    "Run a load generator meant to stop after `seconds`, its output in `log`."
    with open(log, 'w') as f: subprocess.run(cmd, check=True, timeout=seconds + 60, stdout=f, stderr=subprocess.STDOUT)


def locust_command(url: str, users: int, seconds: int, prefix: Path) -> list:
    "Locust headless with `users` face users plus the group-photo user for `seconds`, its CSVs at `prefix`."
    return [str(BIN/'locust'), '-f', str(HERE/'locustfile.py'), '--headless', '-u', str(users + 1), '-r', str(users + 1),
            '-t', f'{seconds}s', '-H', url, '--csv', str(prefix), '--only-summary', '--loglevel', 'WARNING']


def locust_stats(prefix: Path) -> dict:
    "Locust's summary rows by name ('/predict', 'Aggregated', ...) from the CSVs at `prefix`."
    return {r['Name']: r for r in csv.DictReader(open(f'{prefix}_stats.csv'))}


def run_locust(url: str, users: int, seconds: int, prefix: Path) -> dict:
    "Run Locust (see `locust_command`); return the /predict and overall figures."
    run_logged(locust_command(url, users, seconds, prefix), seconds, Path(f'{prefix}.log'))
    rows = locust_stats(prefix)
    predict, total = rows['/predict'], rows['Aggregated']
    return {'predict_per_s': float(predict['Requests/s']), 'requests_per_s': float(total['Requests/s']),
            'p50_ms': float(predict['50%']), 'p95_ms': float(predict['95%']), 'p99_ms': float(predict['99%']),
            'requests': int(total['Request Count']), 'failures': int(total['Failure Count'])}


def write_wrk_bodies(folder: Path) -> Path:
    "The Locust users' /predict bodies (locustfile.FACES) as files in `folder`, and the list of them predict.lua reads."
    from locustfile import FACES
    lines = []
    for i, (body, headers) in enumerate(FACES):
        (folder/f'{i}.body').write_bytes(body)
        lines.append(f"{headers['Content-Type']}\t{folder/f'{i}.body'}")
    (folder/'bodies.tsv').write_text('\n'.join(lines) + '\n')
    return folder/'bodies.tsv'


def run_wrk(url: str, users: int, seconds: int, prefix: Path, bodies: Path) -> dict:
    """wrk with `users` connections for `seconds`, posting `bodies` (see `write_wrk_bodies`) in turn to /predict; its output in
    `prefix`.log. One thread: it sustains many times what the server answers here, and a second would only take CPU.
    The percentiles are predict.lua's done() line: wrk's own --latency table (in the log) has 50/75/90/99 %, no 95 %."""
    log = Path(f'{prefix}.log')
    run_logged(['wrk', '-t1', f'-c{users}', f'-d{seconds}s', '--timeout', '60s', '--latency', '-s', str(HERE/'predict.lua'),
                url, '--', str(bodies)], seconds, log)
    found = re.search(r'^facemask-wrk (.*)$', log.read_text(), re.MULTILINE)
    if not found: raise SystemExit(f'no figures from predict.lua in {log}')
    m = {k: int(v) for k, v in re.findall(r'(\w+)=(\d+)', found[1])}
    per_s = m['requests'] / (m['duration_us'] / 1e6)
    return {'predict_per_s': per_s, 'requests_per_s': per_s, 'p50_ms': m['p50_us'] / 1e3, 'p95_ms': m['p95_us'] / 1e3,
            'p99_ms': m['p99_us'] / 1e3, 'requests': m['requests'], 'failures': m['status_errors'] + m['socket_errors']}


def run_generator(name: str, run: Callable, url: str, users: int, seconds: int, prefix: Path) -> dict:
    "One step of a generator (`run_locust` or `run_wrk`) and the CPU seconds it took (a child process: counted once it exits)."
    before = sum(os.times()[2:4])
    r = run(url, users, seconds, prefix)
    return {'generator': name, 'users': users, **r, 'generator_cpu_s': round(sum(os.times()[2:4]) - before, 1)}


INTERPRETER = """import platform, sys, sysconfig
args = sysconfig.get_config_var('CONFIG_ARGS') or ''
built = '+'.join(n for n, flag in (('PGO', '--enable-optimizations'), ('LTO', '--with-lto')) if flag in args) or 'no PGO/LTO'
print(f'{platform.python_implementation()} {platform.python_version()} ({built})')
print(sys.version.replace(chr(10), ' '))"""


def interpreter(python: list) -> tuple:
    "`(short, sys.version)` of the Python `python` runs, e.g. ('CPython 3.11.2 (PGO+LTO)', '3.11.2 (main, ...) [GCC 12.2.0]')."
    short, version = subprocess.run([*python, '-c', INTERPRETER], capture_output=True, text=True, check=True).stdout.splitlines()
    return short, version


class Server(NamedTuple):
    pid: int          # the serving process (uvicorn's workers are its children)
    python: list      # the command that runs the server's Python
    stop: Callable    # stops the server and removes what it left


def start_server(target: str, workers: int, port: int, out: Path) -> Server:
    """Start `facemask serve` here or the API container on `port`, and wait until it answers.
    'host+collect' is `facemask serve --collect` in a throw-away FACEMASK_HOME (the shipped model; the faces it keeps are removed);
    'host-monitoring' is `facemask serve` without metrics and compliance history (FACEMASK_METRICS=off, FACEMASK_HISTORY=off)."""
    if target.startswith('host'):
        collect = target == 'host+collect'
        home = tempfile.mkdtemp(prefix='facemask-loadtest-')   # the history and the faces kept go there, and are removed after
        off = {'FACEMASK_METRICS': 'off', 'FACEMASK_HISTORY': 'off'} if target == 'host-monitoring' else {}
        server = subprocess.Popen([str(BIN/'facemask'), 'serve', '--port', str(port), '--workers', str(workers),
                                   *(['--collect'] if collect else [])],
                                  stdout=subprocess.DEVNULL, stderr=open(out/f'server_{target}_{workers}w.log', 'w'),
                                  env={**os.environ, 'FACEMASK_HOME': home, **off})
        wait_healthy(f'http://127.0.0.1:{port}', server)
        def stop_host():
            stop(server)
            shutil.rmtree(home, ignore_errors=True)
        return Server(server.pid, [str(BIN/'python')], stop_host)
    engine, name = container.engine(), f'facemask-loadtest-{port}'
    container.start(engine, name, port, workers)
    pid = int(subprocess.run([*engine, 'inspect', name, '--format', '{{.State.Pid}}'], capture_output=True, text=True, check=True).stdout)
    return Server(pid, [*engine, 'exec', name, 'python'], lambda: container.stop(engine, name))


def measure(target: str, workers: int, users_list: list, generators: dict, seconds: int, out: Path) -> list:
    "Each user count with each generator (`{name: run function}`, one after the other) against one server."
    port = free_port()
    url = f'http://127.0.0.1:{port}'
    server = start_server(target, workers, port, out)
    try:
        python, version = interpreter(server.python)
        wait_settled(server.pid)
        warm_up(url)
        # 5 s under load, not counted
        if 'wrk' in generators: generators['wrk'](url, max(users_list), 5, out/f'warm-up_{target}_{workers}w')
        results = []
        for users in users_list:
            for name, run in generators.items():
                busy, cpu = busy_cpu_seconds(), cpu_seconds(server.pid)
                r = run_generator(name, run, url, users, seconds, out/f'{name}_{target}_{workers}w_{users}u')
                r.update(target=target, workers=workers, python=python, python_version=version,
                         server_cpu_s=round(cpu_seconds(server.pid) - cpu, 1))
                r['others_cpu_s'] = max(0.0, round(busy_cpu_seconds() - busy - r['server_cpu_s'] - r['generator_cpu_s'], 1))   # ± rounding
                r['one_worker_served'] = workers > 1 and r['server_cpu_s'] < 0.6 * min(workers, os.cpu_count()) * seconds
                print(f"{target:9} {workers} worker(s), {users:3} users, {name:6}: {r['predict_per_s']:7.1f} predictions/s  "
                      f"p50 {r['p50_ms']:.0f} ms  p95 {r['p95_ms']:.0f} ms  p99 {r['p99_ms']:.0f} ms  "
                      f"failures {r['failures']}/{r['requests']}  "
                      f"(CPU s: server {r['server_cpu_s']}, {name} {r['generator_cpu_s']}, other processes {r['others_cpu_s']})"
                      + (' ONE WORKER TOOK EVERY CONNECTION (uvicorn\'s workers share one socket; a burst of new connections can all go to '
                         'one: not a figure of the server)' if r['one_worker_served'] else ''), flush=True)
                results.append(r)
        return results
    finally: server.stop()


def plot(results: list, path: Path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, (lat, thr) = plt.subplots(1, 2, figsize=(11, 4))
    series = list(dict.fromkeys((r['target'], r['workers'], r['generator'], r['python']) for r in results))
    for key, color in zip(series, plt.rcParams['axes.prop_cycle'].by_key()['color'] * 3):
        rs = [r for r in results if (r['target'], r['workers'], r['generator'], r['python']) == key]
        users, name = [r['users'] for r in rs], '{}, {} worker(s), {}, {}'.format(*key)
        for q, style in (('p50', '-'), ('p95', '--'), ('p99', ':')):
            lat.plot(users, [r[f'{q}_ms'] for r in rs], style, color=color, marker='o', label=f'{name} {q}')
        thr.plot(users, [r['predict_per_s'] for r in rs], color=color, marker='o', label=name)
    lat.set(xlabel='concurrent users', ylabel='/predict latency (ms)', title='Latency vs users')
    thr.set(xlabel='concurrent users', ylabel='predictions/s', title='Throughput vs users')
    lat.legend(fontsize=7); thr.legend(fontsize=7)
    fig.suptitle(f'facemask API on loopback, {os.cpu_count()} cores shared with the load generator')
    fig.tight_layout()
    fig.savefig(path, dpi=110)


GENERATOR_TEXT = {
    'locust': 'Locust: POST /predict with real-looking faces of varied size as multipart forms (users = concurrent face users, each'
              ' sending its next request when the last is answered), plus /health, and one more user sending a group photo to'
              ' /predict/faces every 4-8 s.',
    'wrk': 'wrk (one thread, users = connections, each sending its next request when the last is answered): POST /predict with'
           ' the same face bodies as the Locust users, in turn (loadtest/predict.lua); no /health, no group photos.'}


MONITORING_TARGETS = ['host', 'host-monitoring', 'host-monitoring', 'host']   # ABBA: a drift of the machine weighs on both alike


def monitoring_cost(results: list) -> list:
    "Lines of what metrics and history cost: the mean predictions/s with them (host) against without (host-monitoring), per step."
    lines = []
    for workers, users, generator in dict.fromkeys((r['workers'], r['users'], r['generator']) for r in results):
        rate = {t: [r['predict_per_s'] for r in results
                    if (r['target'], r['workers'], r['users'], r['generator']) == (t, workers, users, generator)
                    and not r['one_worker_served']] for t in ('host', 'host-monitoring')}
        if not (rate['host'] and rate['host-monitoring']): continue
        on, off = sum(rate['host']) / len(rate['host']), sum(rate['host-monitoring']) / len(rate['host-monitoring'])
        lines.append(f"monitoring costs {100 * (1 - on / off):+.1f} % at {workers} worker(s), {users} users, {generator}: "
                     f"{' / '.join(f'{v:.0f}' for v in rate['host'])} predictions/s with it, "
                     f"{' / '.join(f'{v:.0f}' for v in rate['host-monitoring'])} without (goal: at most 5 %; steps where one worker took "
                     "every connection left out)")
    return lines


def report(results: list, args, path: Path):
    command = ['python loadtest/run.py', '--targets', *args.targets, '--workers', *map(str, args.workers), '--users', *map(str, args.users),
               '--seconds', str(args.seconds), '--generator', args.generator]
    lines = ['# facemask API load test', '',
             f'`{" ".join(command)}` on {os.cpu_count()} cores (the load generator runs beside the server).',
             *[f'{GENERATOR_TEXT[g]}' for g in dict.fromkeys(r['generator'] for r in results)],
             f'CPU seconds are over each {args.seconds} s step ({os.cpu_count() * args.seconds} available); "others" is every other'
             ' process on the machine. "container" is the API image (`make image`) on the same machine, host networking.', '',
             '| target | generator | server Python | workers | users | predictions/s | p50 ms | p95 ms | p99 ms | failures / requests '
             '| CPU s: server / generator / others | requests per server CPU s |',
             '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    lines += [f"| {r['target']} | {r['generator']} | {r['python']} | {r['workers']} | {r['users']} | {r['predict_per_s']:.0f} | "
              f"{r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['failures']} / {r['requests']} | "
              f"{r['server_cpu_s']} / {r['generator_cpu_s']} / {r['others_cpu_s']} | {r['requests'] / r['server_cpu_s']:.0f} |"
              for r in results]
    lines += ['', 'Server Python (`sys.version`; PGO/LTO read from `sysconfig.get_config_var("CONFIG_ARGS")`):', '',
              *[f'- {target}: {python}, {version}'
                for target, python, version in dict.fromkeys((r['target'], r['python'], r['python_version']) for r in results)]]
    if cost := monitoring_cost(results): lines += ['', *(f'- {line}' for line in cost)]
    path.write_text('\n'.join(lines) + '\n')


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--targets', nargs='+', choices=['host', 'host+collect', 'host-monitoring', 'container'], default=MONITORING_TARGETS,
                   help="'host': facemask serve here; 'host+collect': the same collecting faces for review (--collect); "
                        "'host-monitoring': the same without metrics and compliance history; 'container': the API image (make image) "
                        f"(default: {' '.join(MONITORING_TARGETS)}: what monitoring costs, alternated twice; "
                        "repeat targets to alternate them)")
    p.add_argument('--workers', type=int, nargs='+', default=[1, 2], help='worker counts to compare (default: 1 2)')
    p.add_argument('--users', type=int, nargs='+', default=[32], help='concurrent users per step (default: 32)')
    p.add_argument('--seconds', type=int, default=20, help='duration of each step, at most 30 (default: 20)')
    p.add_argument('--generator', choices=['locust', 'wrk', 'both'], default='wrk',
                   help="load generator: wrk (C, `make wrk`, which leaves the server the cores; loadtest/predict.lua, /predict only, "
                        "users = connections), Locust (Python, loadtest/locustfile.py: /health and group photos too, but it takes "
                        "CPU from the server), or both one after the other against the same server (default: wrk)")
    p.add_argument('--out', type=Path, default=Path('outputs/loadtest'))
    args = p.parse_args()
    if not 1 <= args.seconds <= 30: p.error('--seconds must be between 1 and 30 (the machine is shared)')
    if 'container' in args.targets and container.engine() is None: p.error('no container engine runs here for --targets container')
    if args.generator != 'locust' and shutil.which('wrk') is None: p.error('wrk is not installed: `make wrk` installs it')
    args.out.mkdir(parents=True, exist_ok=True)
    names = ['locust', 'wrk'] if args.generator == 'both' else [args.generator]
    with tempfile.TemporaryDirectory(prefix='facemask-wrk-') as tmp:   # wrk's request bodies, removed after
        generators = {n: run_locust if n == 'locust' else partial(run_wrk, bodies=write_wrk_bodies(Path(tmp))) for n in names}
        results = [r for t in args.targets for w in args.workers for r in measure(t, w, args.users, generators, args.seconds, args.out)]
    with open(args.out/'results.csv', 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=list(results[0]))
        w.writeheader(); w.writerows(results)
    report(results, args, args.out/'report.md')
    for line in monitoring_cost(results): print(line)
    plot(results, args.out/'latency_vs_users.png')
    print(f"report: {args.out/'report.md'}, plot: {args.out/'latency_vs_users.png'}")
    if any(r['failures'] for r in results): raise SystemExit('some requests failed: see the generator logs in ' + str(args.out))


if __name__ == '__main__':
    main()
