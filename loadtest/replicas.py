"""Replicas behind a load balancer, measured (`make loadtest-replicas`): API containers sharing one state volume behind
nginx (deploy/container.py), on this machine.

1. Throughput through the balancer with 1 and with 2 replicas (1 worker each), Locust as in loadtest/run.py.
2. A replica killed under load (`kill -9` of its server process): the failed requests, against those in flight.
3. A promotion made through one replica reaching every replica without a restart: a tiny model is trained and promoted
   inside replica 1; each replica's /health is polled until it serves it.

    python loadtest/replicas.py [--users 32] [--seconds 10] [--out outputs/loadtest/replicas]
"""
import argparse
import json
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE)); sys.path.insert(0, str(HERE.parent / 'deploy'))
import container  # noqa: E402
from facemask.core import free_port  # noqa: E402
from run import locust_command, locust_stats, run_locust, warm_up  # noqa: E402

TINY_TRAINING = ['-p', 'arch', 'cnn', '-p', 'epochs', '1', '-p', 'image_size', '32', '-p', 'width', '8', '-p', 'depth', '2']


def served_version(port: int) -> str:
    with urllib.request.urlopen(f'http://127.0.0.1:{port}/health', timeout=5) as r: return json.loads(r.read())['model_version']


def deployment(engine, replicas: int, port: int):
    volume = f'facemask-loadtest-{uuid.uuid4().hex[:8]}'
    return container.start_replicas(engine, replicas, port, workers=1, volume=volume, prefix=f'facemask-lt{port}'), volume


def tear_down(engine, deployed: dict, volume: str):
    container.stop_replicas(engine, deployed)
    subprocess.run([*engine, 'volume', 'rm', '-f', volume], capture_output=True)


def throughput(engine, users: int, seconds: int, out: Path) -> list:
    rows = []
    for replicas in (1, 2):
        port = free_port()
        deployed, volume = deployment(engine, replicas, port)
        try:
            warm_up(f'http://127.0.0.1:{port}')
            r = run_locust(f'http://127.0.0.1:{port}', users, seconds, out / f'locust_{replicas}replicas')
            rows.append({'replicas': replicas, **r})
            print(f"{replicas} replica(s) behind nginx, {users} users: {r['predict_per_s']:.0f} predictions/s  p50 {r['p50_ms']:.0f} ms  "
                  f"p95 {r['p95_ms']:.0f} ms  p99 {r['p99_ms']:.0f} ms  failures {r['failures']}/{r['requests']}", flush=True)
        finally: tear_down(engine, deployed, volume)
    return rows


def kill_under_load(engine, users: int, out: Path) -> dict:
    port = free_port()
    deployed, volume = deployment(engine, 2, port)
    try:
        url = f'http://127.0.0.1:{port}'
        warm_up(url)
        prefix = out / 'locust_kill'
        locust = subprocess.Popen(locust_command(url, users, 20, prefix), stdout=subprocess.DEVNULL, stderr=open(f'{prefix}.log', 'w'))
        time.sleep(8)
        victim = next(iter(deployed['replicas']))
        pid = subprocess.run([*engine, 'inspect', victim, '--format', '{{.State.Pid}}'], capture_output=True, text=True,
                             check=True).stdout.strip()
        subprocess.run(['kill', '-9', pid], check=True)
        locust.wait(timeout=90)
        total = locust_stats(prefix)['Aggregated']
        result = {'requests': int(total['Request Count']), 'failures': int(total['Failure Count']), 'in_flight_bound': users + 1,
                  'killed': victim, 'still_serving': served_version(port)}
        print(f"replica {victim} killed (kill -9) 8 s into a 20 s run of {users} users: {result['failures']} failed of "
              f"{result['requests']} requests (at most {users + 1} were in flight); the balancer still answers /health", flush=True)
        return result
    finally: tear_down(engine, deployed, volume)


def promotion_reaches_every_replica(engine) -> dict:
    port = free_port()
    deployed, volume = deployment(engine, 2, port)
    try:
        first = next(iter(deployed['replicas']))
        run = lambda *args: subprocess.run([*engine, 'exec', first, *args], capture_output=True, text=True, check=True).stdout
        run('python', '-c',
            "from facemask.testing import make_class_tree; make_class_tree('/tmp/toy/andrewmvd', 12, learnable=True, size=(40, 40))")
        run('facemask', 'data', 'import', '/tmp/toy/andrewmvd')
        run('facemask', 'train', *TINY_TRAINING, '--no-promote')
        run_id = json.loads(run('facemask', 'runs', '--json').splitlines()[-1])['run_id']
        before = {name: served_version(p) for name, p in deployed['replicas'].items()}
        run('facemask', 'promote', run_id)
        promoted, reached = time.monotonic(), {}
        while len(reached) < len(deployed['replicas']) and time.monotonic() - promoted < 60:
            for name, p in deployed['replicas'].items():
                if name not in reached and served_version(p) == run_id: reached[name] = round(time.monotonic() - promoted, 2)
            time.sleep(0.1)
        print(f'promoted {run_id} inside {first}: served before {before}; reached ' +
              ', '.join(f'{n} after {s} s' for n, s in reached.items()) + ' (no restart)', flush=True)
        return {'run_id': run_id, 'before': before, 'reached_after_s': reached}
    finally: tear_down(engine, deployed, volume)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--users', type=int, default=32)
    p.add_argument('--seconds', type=int, default=10)
    p.add_argument('--out', type=Path, default=Path('outputs/loadtest/replicas'))
    args = p.parse_args()
    engine = container.engine()
    if engine is None: raise SystemExit('no container engine runs here (nbs/guide/deploy.md)')
    args.out.mkdir(parents=True, exist_ok=True)
    container.build(engine)
    results = {'throughput': throughput(engine, args.users, args.seconds, args.out), 'kill': kill_under_load(engine, args.users, args.out),
               'promotion': promotion_reaches_every_replica(engine)}
    (args.out / 'results.json').write_text(json.dumps(results, indent=1))
    print(f"results: {args.out / 'results.json'}")


if __name__ == '__main__':
    main()
