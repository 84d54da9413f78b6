"""A day of one camera, simulated, and what monitoring costs (`make bench-history`).

1. A day: group photos of the frozen test split (../shared/data/photos, as `bench_video.py` picks them), each shown for 6
   frames while it pans, written at a frame rate that spreads the clip over 24 hours, so that `facemask watch --site` times
   its thousands of frames as a day (one frame every ~20 s: each photo's people are followed over its 6 frames). The hour
   from 14:00 shows only photos whose faces are all bare: a bad hour. The watch runs in this process (`facemask.video.watch`
   with a `HistoryRecorder` and an `AlertEngine`, as `facemask watch --site` builds them) with an alert rule posting to a
   loopback webhook. Printed: frames and frames/s, the history's rows and size on disk, each alert received and its delay
   (from the last frame of the minute it is about reaching the recorder to the webhook receiving it: counts reach the history
   every 5 s, so most of it is waiting for that).
2. Read back: `facemask history --site ... --every 1h` as a user runs it (a new process, wall time), and the dashboard's
   Monitor tab building its view of that day (in this process, wall time).
3. The cost of monitoring: `facemask watch` on a 25 frames/s clip without (`FACEMASK_METRICS=off`, no `--site`) and with the
   history and a metrics server (`--site NAME --metrics-port PORT`), alternating, frames/s of each run. The API's cost is
   measured by `python loadtest/run.py --targets host host-monitoring host host-monitoring --workers 2 --users 32`.
Usage: `python tests/bench/bench_history.py [--photos 720] [--rounds 2]`; asserts nothing, writes outputs/bench/history/results.json.
"""
import argparse
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))   # tests/: the helpers the benches share with the tests
from bench_video import clip_photos   # noqa: E402
from conftest import FACEMASK  # noqa: E402

DAY = datetime(2026, 12, 1)
FRAMES_PER_PHOTO = 6
BAD_HOUR = 14


class Webhook(http.server.BaseHTTPRequestHandler):
    received = []
    def do_POST(self):
        Webhook.received.append((time.time(), json.loads(self.rfile.read(int(self.headers['Content-Length'])))))
        self.send_response(204); self.end_headers()
    def log_message(self, *args): pass


def day_clip(photos: int, folder: Path) -> tuple:
    """The day's clip: `photos` photos of the test split (again from the start when there are fewer), those of the bad hour all bare
    (from every split); its path and its frames/s."""
    from facemask.video import write_clip
    mixed, bare = clip_photos(photos), clip_photos(photos // 24 + 1, splits=('test', 'val', 'train'), faces=(1, 5), bare=True)
    mixed = (mixed * (photos // len(mixed) + 1))[:photos]   # the test split has fewer photos than a day has minutes: they come back
    per_hour = photos // 24
    ordered = mixed[:BAD_HOUR * per_hour] + bare[:per_hour] + mixed[BAD_HOUR * per_hour:photos - per_hour]
    fps = len(ordered) * FRAMES_PER_PHOTO / 86400
    return write_clip(ordered, folder / 'day.mp4', fps=fps, frames_per_image=FRAMES_PER_PHOTO, pan=4), fps


def simulate_day(photos: int, out: Path) -> dict:
    from facemask.alerts import AlertEngine, AlertRule, Notifier
    from facemask.history import HistoryRecorder, history_path
    from facemask.video import watch

    class TimedRecorder(HistoryRecorder):
        "Notes when the last frame of each minute reached it (wall clock), by the minute's start: what an alert's delay counts from."
        arrived = {}
        def record(self, faces, version, at=None, tracker=None, min_frames=3):
            TimedRecorder.arrived[int(at // 60 * 60)] = time.time()
            super().record(faces, version, at, tracker, min_frames)

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    clip, fps = day_clip(photos, out)
    rule = AlertRule('bench-day', max_unmasked=0.8, minutes=30, min_people=10, down_minutes=None,
                     webhook=f'http://127.0.0.1:{server.server_address[1]}/alerts')
    engine = AlertEngine([rule], Notifier(), camera_check_s=None)
    report = watch(clip, history=TimedRecorder('bench-day', listeners=[engine]), started=DAY.timestamp(), progress=True)
    engine.close(); server.shutdown()
    size = sum(p.stat().st_size for p in history_path().parent.glob('history.sqlite*'))
    import sqlite3
    with sqlite3.connect(history_path()) as con: rows = con.execute("SELECT COUNT(*) FROM history WHERE site='bench-day'").fetchone()[0]
    alerts = [{'state': a['state'], 'message': a['message'], 'minute': datetime.fromtimestamp(a['frame_time']).strftime('%H:%M'),
               'delay_s': round(received - TimedRecorder.arrived[int(a['frame_time'])], 2)} for received, a in Webhook.received]
    return {'clip_fps': round(fps, 4), 'frames': report['frames'], 'frames_per_second': report['frames_per_second'],
            'people': len(report['people']), 'history_rows': rows, 'history_bytes': size, 'alerts': alerts}


def read_back() -> dict:
    from facemask.monitor_app import MonitorTab
    started = time.perf_counter()
    res = subprocess.run([FACEMASK, 'history', '--site', 'bench-day', '--since', DAY.date().isoformat(), '--until', '2026-12-02',
                          '--every', '1h'], capture_output=True, text=True, check=True)
    cli_s = time.perf_counter() - started
    tab = MonitorTab(now=lambda: DAY.timestamp() + 86400)   # opened at midnight: the day is the last 24 hours
    started = time.perf_counter()
    tab.refresh()
    return {'history_command_s': round(cli_s, 2), 'monitor_tab_s': round(time.perf_counter() - started, 2),
            'hours_printed': len(res.stdout.splitlines()) - 1, 'worst_hours': res.stdout}


def watch_cost(rounds: int, folder: Path) -> dict:
    "`facemask watch` frames/s on a 25 frames/s clip without and with monitoring, alternating."
    from facemask.core import free_port
    from facemask.video import write_clip
    clip = write_clip(clip_photos(40), folder / 'cost.mp4')
    speeds = {'without': [], 'with --site and --metrics-port': []}
    for _ in range(rounds):
        for what in speeds:
            with_it = what != 'without'
            args = ['--site', 'bench-cost', '--metrics-port', str(free_port())] if with_it else []
            env = {**os.environ, **({} if with_it else {'FACEMASK_METRICS': 'off'})}
            res = subprocess.run([FACEMASK, 'watch', str(clip), *args], capture_output=True, text=True, check=True, env=env)
            speeds[what].append(float(re.search(r'\(([\d.]+) frames/s\)', res.stdout)[1]))
    return speeds


def main(photos: int, rounds: int):
    out = Path('outputs/bench/history')
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        os.environ['FACEMASK_HOME'] = home   # a history of its own, removed after
        (Path(home) / 'data').symlink_to(Path('data').resolve())   # the imported dataset, for the clip's photos
        day = simulate_day(photos, Path(home))
        print(f"A day at one camera: {day['frames']:,} frames (a frame every {1 / day['clip_fps']:.0f} s of the day) watched at "
              f"{day['frames_per_second']:.1f} frames/s; {day['people']:,} people; the history holds {day['history_rows']:,} rows "
              f"(one per minute with frames) in {day['history_bytes'] / 2**10:,.0f} KiB")
        for a in day['alerts']:
            print(f"alert {a['state']} for the minute from {a['minute']} (the clip's time), at the webhook {a['delay_s']} s after that "
                  f"minute's last frame reached the recorder: {a['message']}")
        back = read_back()
        print(f"facemask history --every 1h for the day: {back['history_command_s']} s (a new process, imports included), "
              f"{back['hours_printed']} hours; the Monitor tab's view of the day: {back['monitor_tab_s']} s")
        print(back['worst_hours'])
        cost = watch_cost(rounds, Path(home))
    for what, fps in cost.items(): print(f"facemask watch {what}: " + ', '.join(f'{v:.1f}' for v in fps) + ' frames/s')
    (out / 'results.json').write_text(json.dumps({'day': day, 'read_back': back, 'watch_frames_per_second': cost}, indent=1))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--photos', type=int, default=720, help='photos in the day clip, 6 frames each (default: %(default)s)')
    p.add_argument('--rounds', type=int, default=2, help='alternating rounds of the cost measurement (default: %(default)s)')
    args = p.parse_args()
    main(args.photos, args.rounds)
