"""Network cameras (`make bench-cameras`): four 640x480 25 frames/s RTSP streams watched together by `facemask.cameras.run_cameras`,
then one alone, then one sending 50 frames/s (how many one camera can take).

The streams are a clip of the frozen test split's group photos (as `tests/bench/bench_video.py` makes it: each photo one second,
panning), served in real time by GStreamer's RTSP server on loopback (`tests/rtsp_server.py`, another process, whose CPU is
reported apart). The shipped model, the product's defaults (no frame-rate cap, RTSP over TCP). After a warm-up, for
`--seconds`: each camera's frames labelled a second, the age of the frame being labelled (its lag: median of the samples taken
each second, and the largest), frames dropped of those read, and the CPU of this process and of the server. Asserts nothing.
Usage: `python tests/bench/bench_cameras.py [--seconds 30] [--cameras 4]`.
"""
import argparse
import statistics
import tempfile
import threading
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parents[1]))   # tests/: the helpers the benches share with the tests
from bench_video import clip_photos  # noqa: E402
from facemask.cameras import CameraConfig, run_cameras  # noqa: E402
from facemask.core import free_port, shared_data_dir  # noqa: E402
from facemask.detect import face_detector  # noqa: E402
from facemask.predict import Predictor  # noqa: E402
from facemask.video import write_clip  # noqa: E402
from rtsp_server import start_rtsp_server  # noqa: E402


def measure(names: list, port: int, server, seconds: float, warm_up: float = 5) -> list:
    "Watch cameras `names` of the server together for `warm_up` + `seconds`; one line per camera, then the CPU line."
    cameras = [CameraConfig(name, f'rtsp://127.0.0.1:{port}/{name}') for name in names]
    readers, stop, samples = {}, threading.Event(), {name: [] for name in names}
    predictor, detector = Predictor(), face_detector()
    supervisor = threading.Thread(target=run_cameras, args=(cameras, predictor, detector, stop), kwargs={'readers': readers, 'log': print})
    supervisor.start()
    time.sleep(warm_up)
    me, other = psutil.Process(), psutil.Process(server.pid)
    cpu0, server0, wall0 = me.cpu_times(), other.cpu_times(), time.perf_counter()
    before = {name: r.status() for name, r in readers.items()}
    while time.perf_counter() - wall0 < seconds:
        time.sleep(1)
        for name, r in readers.items():
            if r.lag_s is not None: samples[name].append(r.lag_s)
    after, wall = {name: r.status() for name, r in readers.items()}, time.perf_counter() - wall0
    cpu1, server1 = me.cpu_times(), other.cpu_times()
    stop.set(); supervisor.join()
    lines = []
    for name in names:
        a, b = before[name], after[name]
        read, dropped = b['frames_read'] - a['frames_read'], b['frames_dropped'] - a['frames_dropped']
        lines.append(f"  {name}: {(b['frames_labelled'] - a['frames_labelled']) / wall:.1f} frames/s labelled of {read / wall:.1f} read; "
                     f"lag median {statistics.median(samples[name]):.2f} s, largest sampled {max(samples[name]):.2f} s "
                     f"(largest of its last 10 s: {b['max_lag_s']:.2f} s); {dropped} of {read} frames dropped; "
                     f"{b['reconnects']} reconnects")
    used = lambda t0, t1: (t1.user + t1.system - t0.user - t0.system) / wall
    lines.append(f'  CPU: this process {100 * used(cpu0, cpu1):.0f} % of one core (of {psutil.cpu_count()}), '
                 f'the RTSP server {100 * used(server0, server1):.0f} %')
    return lines


def main(seconds: float, cameras: int, photos: int):
    if shared_data_dir() is None: raise SystemExit('no ../shared/data/photos: nothing to make the clip from')
    with tempfile.TemporaryDirectory() as tmp:
        pictures = clip_photos(photos)
        clip = write_clip(pictures, Path(tmp) / 'clip.mp4')   # 640x480, 25 frames/s, one second per photo
        fast = write_clip(pictures, Path(tmp) / 'fast.mp4', fps=50, frames_per_image=50, pan=1)   # what one camera could take
        names, port = [f'cam{i}' for i in range(cameras)], free_port()
        server = start_rtsp_server(port, {**{name: clip for name in names}, 'fast': fast})
        try:
            print(f'{cameras} cameras at once, 640x480 at 25 frames/s over RTSP (TCP), {seconds:g} s after a warm-up:')
            print('\n'.join(measure(names, port, server, seconds)))
            print(f'one camera alone, {seconds:g} s:')
            print('\n'.join(measure(names[:1], port, server, seconds)))
            print(f'one camera sending 50 frames/s, {seconds:g} s (how many one camera can take):')
            print('\n'.join(measure(['fast'], port, server, seconds)))
        finally:
            server.kill(); server.wait()


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--seconds', type=float, default=30, help='measured seconds per round (default: %(default)s)')
    ap.add_argument('--cameras', type=int, default=4, help='cameras watched together (default: %(default)s)')
    ap.add_argument('--photos', type=int, default=60,
                    help='photos in the clip, one second each: longer than a round (default: %(default)s)')
    main(**vars(ap.parse_args()))
