#!/usr/bin/python3
"""Simulated IP cameras: a GStreamer RTSP server (GstRtspServer) with several mounts on one port.

Run by /usr/bin/python3 (Debian's python sees python3-gi). Configuration is one JSON argument:

    rtsp_server.py '{"port": 8554, "mounts": [
        {"path": "/cam1", "kind": "raw", "file": "a.rgb", "width": 160, "height": 120, "fps": 10},
        {"path": "/cam2", "kind": "h264", "file": "b.h264", "fps": 25}]}'

raw   a file of concatenated RGB24 frames, looped, encoded by x264 (zerolatency). `scene <path> <file>`
      on stdin switches the file the mount plays (replies `ok` or `error <message>`).
h264  an Annex-B H.264 elementary stream without B-frames, looped, served without re-encoding, so
      that many 720p cameras do not cost an encoder each.

Prints `ready <port>` when listening; port 0 picks a free one. Exits on SIGTERM, SIGINT or stdin close.
Each mount's media is shared: every client of a mount is fed by the same pipeline.
"""

import json
import os
import signal
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class RawFrames:
    """Reads frames of one mount's current file in a loop; `switch` changes the file between frames."""

    def __init__(self, path, width, height):
        self.width = width
        self.height = height
        self.size = width * height * 3
        # GStreamer's RGB rows are padded to 4 bytes; pad ours when width * 3 is not a multiple of 4.
        self.stride = (width * 3 + 3) & ~3
        self.pending = None
        self.handle = self._open(path)

    def _open(self, path):
        handle = open(path, "rb")
        if os.fstat(handle.fileno()).st_size < self.size:
            handle.close()
            raise ValueError(f"{path} holds less than one {self.width}x{self.height} RGB24 frame")
        return handle

    def switch(self, path):
        handle, previous = self._open(path), self.pending
        self.pending = handle
        if previous is not None:  # two switches within one frame: the first is never shown
            previous.close()

    def next(self):
        if self.pending is not None:
            self.handle.close()
            self.handle, self.pending = self.pending, None
        data = self.handle.read(self.size)
        if len(data) < self.size:  # end of file (a trailing partial frame is ignored): loop
            self.handle.seek(0)
            data = self.handle.read(self.size)
        if self.stride == self.width * 3:
            return data
        row = self.width * 3
        pad = b"\0" * (self.stride - row)
        return b"".join(data[y * row : (y + 1) * row] + pad for y in range(self.height))


def split_access_units(data):
    """Splits an Annex-B byte stream into access units: [(bytes, is_keyframe)] (ITU-T H.264 §7.4.1.2.3)."""
    starts = []
    i = data.find(b"\0\0\1")
    while i >= 0:
        starts.append(i - 1 if i > 0 and data[i - 1] == 0 else i)
        i = data.find(b"\0\0\1", i + 3)
    units, current, has_vcl, is_key = [], [], False, False
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(data)
        header = data.index(b"\1", start) + 1
        if header >= end:
            continue
        nal_type = data[header] & 0x1F
        is_vcl = 1 <= nal_type <= 5
        # A new picture starts at an AUD/SEI/SPS/PPS after a slice, or at a slice with first_mb_in_slice == 0.
        first_slice = is_vcl and header + 1 < end and data[header + 1] & 0x80
        if has_vcl and ((nal_type in (6, 7, 8, 9) or 14 <= nal_type <= 18) or first_slice):
            units.append((b"".join(current), is_key))
            current, has_vcl, is_key = [], False, False
        current.append(data[start:end])
        has_vcl = has_vcl or is_vcl
        is_key = is_key or nal_type == 5
    if current and has_vcl:
        units.append((b"".join(current), is_key))
    if not units or not units[0][1]:
        raise ValueError("the H.264 file does not start with a key frame")
    return units


class Mount:
    """One mount: its factory, its source, and the feeder of whichever shared media is current."""

    def __init__(self, spec):
        self.path = spec["path"]
        self.kind = spec["kind"]
        self.fps = int(spec["fps"])
        self.spec = spec
        self.raw = None
        self.units = None
        if self.kind == "raw":
            self.raw = RawFrames(spec["file"], int(spec["width"]), int(spec["height"]))
        elif self.kind == "h264":
            with open(spec["file"], "rb") as handle:
                self.units = split_access_units(handle.read())
        else:
            raise ValueError(f"mount {self.path}: unknown kind {self.kind!r}")
        self.factory = GstRtspServer.RTSPMediaFactory()
        self.factory.set_launch(self._launch())
        self.factory.set_shared(True)
        self.factory.connect("media-configure", self._configure)

    def _launch(self):
        fps = self.fps
        if self.kind == "raw":
            w, h = self.raw.width, self.raw.height
            caps = f"video/x-raw,format=RGB,width={w},height={h},framerate={fps}/1"
            return (
                f"( appsrc name=src is-live=true format=time caps={caps} max-bytes={self.raw.stride * h * 2} "
                f"! videoconvert ! video/x-raw,format=I420 "
                f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} threads=1 sliced-threads=false "
                f"! rtph264pay name=pay0 pt=96 config-interval=-1 )"
            )
        caps = f"video/x-h264,stream-format=byte-stream,alignment=au,framerate={fps}/1"
        return (
            f"( appsrc name=src is-live=true format=time caps={caps} max-buffers=8 "
            f"! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
        )

    def _configure(self, _factory, media):
        src = media.get_element().get_child_by_name("src")
        counter = {"n": 0, "start": None}
        src.connect("need-data", self._feed, counter)

    def _feed(self, src, _length, counter):
        # A live camera: frame n is due at start + n / fps on the pipeline clock. need-data runs on
        # appsrc's streaming thread, so waiting here paces the mount without a thread of our own.
        n = counter["n"]
        counter["n"] = n + 1
        clock, base = src.get_clock(), src.get_base_time()
        if counter["start"] is None:
            counter["start"] = clock.get_time() - base
        pts = counter["start"] + Gst.util_uint64_scale(n, Gst.SECOND, self.fps)
        Gst.Clock.id_wait(clock.new_single_shot_id(base + pts))
        if self.raw is not None:
            payload, key = self.raw.next(), True
        else:
            payload, key = self.units[n % len(self.units)]
        buf = Gst.Buffer.new_wrapped(payload)
        buf.pts = buf.dts = pts
        buf.duration = Gst.util_uint64_scale(1, Gst.SECOND, self.fps)
        if not key:
            buf.set_flags(Gst.BufferFlags.DELTA_UNIT)
        src.emit("push-buffer", buf)


def command(mounts, line):
    parts = line.strip().split(" ", 2)
    if parts == [""]:
        return None
    if parts[0] != "scene" or len(parts) != 3:
        return f"error unknown command: {line.strip()}"
    mount = mounts.get(parts[1])
    if mount is None or mount.raw is None:
        return f"error no raw mount {parts[1]}"
    try:
        mount.raw.switch(parts[2])
    except (OSError, ValueError) as err:
        return f"error {err}"
    return "ok"


def main():
    config = json.loads(sys.argv[1])
    Gst.init(None)
    mounts = {spec["path"]: Mount(spec) for spec in config["mounts"]}
    server = GstRtspServer.RTSPServer()
    server.set_service(str(config.get("port", 0)))
    table = server.get_mount_points()
    for mount in mounts.values():
        table.add_factory(mount.path, mount.factory)
    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        raise SystemExit(f"cannot listen on port {config.get('port', 0)}")

    def on_line(line):
        reply = command(mounts, line)
        if reply is not None:
            say(reply)
        return False

    def read_stdin():
        for line in sys.stdin:
            GLib.idle_add(on_line, line)
        GLib.idle_add(loop.quit)  # stdin closed: the parent is gone

    threading.Thread(target=read_stdin, daemon=True).start()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    say(f"ready {server.get_bound_port()}")
    loop.run()
    # GStreamer's streaming threads call back into Python: leave without finalising the interpreter.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
