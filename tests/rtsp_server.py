"""A real RTSP server for the network-camera tests and `make bench-cameras`: GStreamer's RTSP server (Debian's
`gir1.2-gst-rtsp-server-1.0`, run by Debian's python3, which has its bindings), serving MP4 clips as cameras do.

Each `--camera NAME=CLIP` is served at rtsp://127.0.0.1:PORT/NAME, its MPEG-4 video sent as it is, in real time; a
client that connects gets the clip from its start (make it as long as the stream must last). With `--user` and `--password`
every camera asks for them (Basic authentication), as a site's cameras do. Prints `ready` once it listens.
With `--hls CLIP FOLDER` it cuts a clip into an HLS playlist instead (served by any HTTP server).
Usage: `/usr/bin/python3 tests/rtsp_server.py --port 8554 --camera cam1=clip.mp4 [--camera cam2=...] [--user U --password P]`.
"""
import argparse
import subprocess
import sys
import time
from pathlib import Path

SYSTEM_PYTHON = '/usr/bin/python3'   # Debian's, which has the GStreamer bindings (python3-gi); the project's venv has not


def server_available() -> bool:
    "Whether Debian's python3 can import the RTSP server's bindings."
    check = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
    return Path(SYSTEM_PYTHON).exists() and subprocess.run([SYSTEM_PYTHON, '-c', check], capture_output=True).returncode == 0


def start_rtsp_server(port: int, cameras: dict, user: str | None = None, password: str | None = None,
                      timeout_s: float = 20) -> subprocess.Popen:
    "This script serving `cameras` ({name: clip}) on loopback `port`, started and listening; the caller stops it."
    credentials = ['--user', user, '--password', password] if user else []
    server = subprocess.Popen([SYSTEM_PYTHON, __file__, '--port', str(port), *credentials,
                               *[f'--camera={name}={clip}' for name, clip in cameras.items()]], stdout=subprocess.PIPE, text=True)
    started = time.time()
    while server.stdout.readline().strip() != 'ready':
        if server.poll() is not None or time.time() - started > timeout_s:
            server.kill()
            raise RuntimeError(f'the RTSP server on port {port} did not start (exit code {server.poll()})')
    return server


def launch_line(clip: str) -> str:
    "A media pipeline sending `clip`'s MPEG-4 video (as OpenCV writes it) without decoding it (looping it with concat stalls its start)."
    return f'( filesrc location="{clip}" ! qtdemux ! mpeg4videoparse ! rtpmp4vpay name=pay0 pt=96 config-interval=1 )'


def write_hls(clip: Path, folder: Path, timeout_s: float = 60) -> Path:
    "`clip` cut into an HLS playlist and its MPEG-TS segments in `folder` (by this script, with GStreamer's hlssink); the playlist."
    subprocess.run([SYSTEM_PYTHON, __file__, '--hls', str(clip), str(folder)], check=True, timeout=timeout_s)
    return folder / 'live.m3u8'


def hls(clip: str, folder: str):
    from gi.repository import Gst
    pipeline = Gst.parse_launch(f'filesrc location="{clip}" ! qtdemux ! mpeg4videoparse ! mpegtsmux ! hlssink '
                                f'location="{folder}/segment%05d.ts" '
                                f'playlist-location="{folder}/live.m3u8" target-duration=1 max-files=0 playlist-length=0')
    pipeline.set_state(Gst.State.PLAYING)
    done = pipeline.get_bus().timed_pop_filtered(60 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if done is None or done.type != Gst.MessageType.EOS: sys.exit(f'{clip}: not cut into HLS segments')


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--port', type=int)
    p.add_argument('--camera', action='append', metavar='NAME=CLIP')
    p.add_argument('--hls', nargs=2, metavar=('CLIP', 'FOLDER'), help='instead of serving, cut CLIP into an HLS playlist in FOLDER')
    p.add_argument('--user'); p.add_argument('--password')
    args = p.parse_args()
    import gi
    gi.require_version('Gst', '1.0')
    gi.require_version('GstRtspServer', '1.0')
    from gi.repository import GLib, Gst, GstRtspServer
    Gst.init(None)
    if args.hls: return hls(*args.hls)
    if not (args.port and args.camera): p.error('--port and at least one --camera, or --hls')
    server = GstRtspServer.RTSPServer(address='127.0.0.1', service=str(args.port))
    if args.user:
        auth, token = GstRtspServer.RTSPAuth(), GstRtspServer.RTSPToken()
        token.set_string('media.factory.role', args.user)
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        server.set_auth(auth)
    for camera in args.camera:
        name, clip = camera.split('=', 1)
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch_line(clip))
        if args.user:
            permissions = GstRtspServer.RTSPPermissions()
            permissions.add_permission_for_role(args.user, 'media.factory.access', True)
            permissions.add_permission_for_role(args.user, 'media.factory.construct', True)
            factory.set_permissions(permissions)
        server.get_mount_points().add_factory(f'/{name}', factory)
    if server.attach(None) == 0: sys.exit(f'port {args.port}: cannot listen there')
    print('ready', flush=True)
    GLib.MainLoop().run()


if __name__ == '__main__':
    main()
