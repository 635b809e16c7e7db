"""Serve each simulated drone's RGB and thermal frames to the clients that ask for them.

The simulation loop calls `tick(sim_s)` after every physics step. When a drone has a
subscriber and its next frame slot has come (every 1/`rate_hz` sim seconds), its pose is taken
there, in the loop's thread, so image, pose and time always belong together; render threads
(one drone each at a time, the oldest instant first) draw the frames and hand each to the
subscribed clients' sender threads. Nobody watching
costs nothing; when rendering cannot keep up with the sim clock (a high speed-up), the newest
pose replaces one still waiting and the stream's rate drops instead of lagging behind.

The camera hangs on a stabilised gimbal (`sim.payload`): its pitch is held from the horizon and
its roll level while the airframe tilts, its yaw follows the heading. The frame's `pose`
(vehicle attitude plus those gimbal angles) is exactly the pose it was drawn from.
Format and ports: `sim.frames_protocol`. Drones only; rovers have no cameras.
"""

from __future__ import annotations

import logging
import math
import queue
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from sim.autopilot import Autopilot
from sim.camera import CameraPose
from sim.frames_protocol import (
    ENCODINGS,
    MAX_SUBSCRIPTION_BYTES,
    FrameProtocolError,
    encode_message,
    parse_subscription,
)
from sim.geo import Origin, geodetic_to_enu
from sim.ground_map import GroundMap
from sim.render import Frame, Renderer
from sim.world import World

log = logging.getLogger(__name__)

CLIENT_QUEUE_FRAMES = 2  #: frames waiting for a slow client before newer ones are dropped
SUBSCRIBE_TIMEOUT_S = 5.0
RENDER_THREADS = 2  #: NumPy releases the GIL in its loops: two drones render on two cores
SLOT_EPSILON_S = 1e-6  #: sim time sums 0.05 s steps: 27.4999999 is the 27.5 s slot


def frame_pose(ap: Autopilot, home: Origin) -> tuple[CameraPose, dict[str, float]]:
    """The camera's pose now, for rendering (east/north from `home`), and as the frame's
    `pose` header (`sim.frames_protocol`)."""
    g, b = ap.geodetic, ap.body
    p = geodetic_to_enu(g.lat_deg, g.lon_deg, g.alt_amsl_m, home)
    gimbal_pitch, gimbal_yaw = ap.gimbal_angles_deg()
    camera = CameraPose(east_m=p.east_m, north_m=p.north_m, alt_amsl_m=g.alt_amsl_m,
                        roll_deg=b.roll_deg, pitch_deg=b.pitch_deg, yaw_deg=b.heading_deg,
                        gimbal_pitch_deg=gimbal_pitch, gimbal_yaw_deg=gimbal_yaw)
    pose = {"lat_deg": g.lat_deg, "lon_deg": g.lon_deg, "alt_amsl_m": g.alt_amsl_m,
            "alt_rel_m": b.up_m, "roll_deg": b.roll_deg,
            "pitch_deg": b.pitch_deg, "yaw_deg": b.heading_deg,
            "gimbal_pitch_deg": gimbal_pitch, "gimbal_yaw_deg": gimbal_yaw}
    return camera, pose


@dataclass(frozen=True, kw_only=True, slots=True)
class _Job:
    vehicle: int
    t_s: float
    camera: CameraPose
    pose: dict[str, float]


class _Client:
    """One subscriber: a socket and a short queue drained by its own sender thread."""

    def __init__(self, sock: socket.socket, streams: tuple[str, ...]) -> None:
        self.sock = sock
        self.streams = streams
        self.queue: queue.Queue[bytes | None] = queue.Queue(CLIENT_QUEUE_FRAMES)
        self.closed = threading.Event()
        self.dropped = 0

    def offer(self, message: bytes) -> None:
        try:
            self.queue.put_nowait(message)
        except queue.Full:
            self.dropped += 1

    def send_loop(self) -> None:
        try:
            while (message := self.queue.get()) is not None:
                self.sock.sendall(message)
        except OSError:
            pass  # the client went away
        finally:
            self.closed.set()
            self.sock.close()


class CameraServer:
    def __init__(self, world: World, autopilots: list[Autopilot], ports: list[int], *,
                 rate_hz: float) -> None:
        """Listen on `ports[i]` for drone i (`autopilots[i]`); bind errors raise OSError."""
        self.world = world
        self.scene = world.scene_or_empty
        self.autopilots = autopilots
        self.period_s = 1.0 / rate_hz
        #: UTC of sim time 0: the server is made as the simulation starts
        self.epoch_unix_s = time.time()
        self._ground_map: GroundMap | None = None
        self._ground_map_lock = threading.Lock()
        self._renderers: dict[tuple[int, str], Renderer] = {}
        self._clients: list[list[_Client]] = [[] for _ in autopilots]
        self._next_due_s = [0.0] * len(autopilots)
        self._seq: dict[tuple[int, str], int] = {}
        self._lock = threading.Lock()
        self._jobs: dict[int, _Job] = {}
        self._busy: set[int] = set()  #: drones being rendered: one thread per drone at a time
        self._job_ready = threading.Condition(self._lock)
        self._stopping = False
        self._listeners = []
        for port in ports:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                self._close_listeners()
                raise
            s.listen(8)
            self._listeners.append(s)
        self._threads = [threading.Thread(target=self._accept_loop, args=(i, s), daemon=True,
                                          name=f"camera-accept-{i}")
                         for i, s in enumerate(self._listeners)]
        self._threads += [threading.Thread(target=self._render_loop, daemon=True,
                                           name=f"camera-render-{n}")
                          for n in range(RENDER_THREADS)]
        for t in self._threads:
            t.start()

    # --- the simulation loop's side ------------------------------------------------------

    def tick(self, sim_s: float) -> None:
        """Queue a frame for every watched drone whose slot has come (cheap otherwise)."""
        for i, ap in enumerate(self.autopilots):
            if sim_s < self._next_due_s[i] - SLOT_EPSILON_S:
                continue
            # Frames fall on the sim-time grid k / rate_hz, also the first after a subscription.
            self._next_due_s[i] = (math.floor(sim_s / self.period_s + SLOT_EPSILON_S) + 1) \
                * self.period_s
            if not self._clients[i]:
                continue
            job = self._job(i, ap, sim_s)
            with self._lock:
                self._jobs[i] = job  # a job still waiting is replaced: newest pose wins
                self._job_ready.notify()

    def _job(self, i: int, ap: Autopilot, sim_s: float) -> _Job:
        camera, pose = frame_pose(ap, self.world.home)
        return _Job(vehicle=i, t_s=sim_s, camera=camera, pose=pose)

    def close(self) -> None:
        with self._lock:
            self._stopping = True
            self._job_ready.notify_all()
            clients = [c for cs in self._clients for c in cs]
        self._close_listeners()
        for c in clients:
            try:
                c.queue.put_nowait(None)
            except queue.Full:
                c.sock.close()  # its sender is stuck on a full socket: unblock it

    def _close_listeners(self) -> None:
        for s in self._listeners:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    # --- threads -------------------------------------------------------------------------

    def _accept_loop(self, vehicle: int, listener: socket.socket) -> None:
        while True:
            try:
                sock, _ = listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(vehicle, sock), daemon=True,
                             name=f"camera-client-{vehicle}").start()

    def _serve(self, vehicle: int, sock: socket.socket) -> None:
        try:
            streams = parse_subscription(_read_line(sock))
        except (FrameProtocolError, OSError) as e:
            log.info("camera client of vehicle %d refused: %s", vehicle, e)
            try:
                sock.sendall(encode_message({"type": "error", "message": str(e)}))
            except OSError:
                pass
            sock.close()
            return
        sock.settimeout(None)
        client = _Client(sock, streams)
        with self._lock:
            if self._stopping:
                sock.close()
                return
            self._clients[vehicle] = [*self._clients[vehicle], client]
        log.info("camera client of vehicle %d subscribed to %s", vehicle, ", ".join(streams))
        client.send_loop()
        with self._lock:
            self._clients[vehicle] = [c for c in self._clients[vehicle] if c is not client]
        log.info("camera client of vehicle %d left (%d frames dropped for it)", vehicle,
                 client.dropped)

    def _render_loop(self) -> None:
        while True:
            with self._lock:
                while not self._stopping and not (self._jobs.keys() - self._busy):
                    self._job_ready.wait()
                if self._stopping:
                    return
                # The oldest waiting instant first, so no drone starves when rendering lags.
                free = self._jobs.keys() - self._busy
                job = self._jobs.pop(min(free, key=lambda i: (self._jobs[i].t_s, i)))
                self._busy.add(job.vehicle)
                clients = list(self._clients[job.vehicle])
            try:
                self._render_job(job, clients)
            finally:
                with self._lock:
                    self._busy.discard(job.vehicle)
                    self._job_ready.notify_all()

    def _render_job(self, job: _Job, clients: list[_Client]) -> None:
        """Draw the frames the clients want of one instant and offer them to those clients."""
        for modality in ("rgb", "thermal"):
            watchers = [c for c in clients if modality in c.streams and not c.closed.is_set()]
            if not watchers:
                continue
            try:
                frame = self._renderer(job.vehicle, modality).render(job.camera, job.t_s)
            except Exception:  # a scene the renderer chokes on must not stop the sim
                log.exception("rendering %s of vehicle %d failed", modality, job.vehicle)
                continue
            message = self._message(job, frame)
            for c in watchers:
                c.offer(message)

    def _renderer(self, vehicle: int, modality: str) -> Renderer:
        key = (vehicle, modality)
        if key not in self._renderers:
            with self._ground_map_lock:
                if self._ground_map is None:
                    self._ground_map = GroundMap(self.scene)
            wind = self.world.wind
            self._renderers[key] = Renderer(self.scene, self._ground_map,
                                            self.world.cameras.of(modality),
                                            modality,  # type: ignore[arg-type]
                                            seed=vehicle, wind_east_mps=wind.east_mps,
                                            wind_north_mps=wind.north_mps)
        return self._renderers[key]

    def _message(self, job: _Job, frame: Frame) -> bytes:
        key = (job.vehicle, frame.modality)
        seq = self._seq.get(key, 0)
        self._seq[key] = seq + 1
        k = frame.intrinsics
        image = frame.image
        data = image.astype(image.dtype.newbyteorder("<"), copy=False).tobytes()
        header: dict[str, Any] = {
            "type": "frame", "vehicle": job.vehicle,
            "name": self.world.vehicles[job.vehicle].name, "modality": frame.modality,
            "seq": seq, "t_s": job.t_s, "t_unix_s": self.epoch_unix_s + job.t_s,
            "width_px": k.width_px, "height_px": k.height_px,
            "encoding": ENCODINGS[frame.modality], "is_bigendian": 0,
            "step": k.width_px * (3 if frame.modality == "rgb" else 2),
            "k": list(k.k_row_major()), "pose": job.pose,
            "truth": [{"object_id": t.object_id, "label": t.label, "box": list(t.box),
                       "pixels": t.pixels, "lat_deg": t.lat_deg, "lon_deg": t.lon_deg,
                       "alt_amsl_m": t.alt_amsl_m, "range_m": round(t.range_m, 3),
                       "temp_k": t.temp_k} for t in frame.truth],
        }
        return encode_message(header, data)


def _read_line(sock: socket.socket) -> bytes:
    sock.settimeout(SUBSCRIBE_TIMEOUT_S)
    buf = bytearray()
    while not buf.endswith(b"\n"):
        chunk = sock.recv(256)
        if not chunk:
            raise FrameProtocolError("subscription: the connection closed before a full line")
        buf += chunk
        if len(buf) > MAX_SUBSCRIPTION_BYTES:
            raise FrameProtocolError(f"subscription: longer than {MAX_SUBSCRIPTION_BYTES} "
                                     "bytes")
    return bytes(buf)
