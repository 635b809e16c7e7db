"""One vehicle's MAVLink shell: its UDP socket, its peers, and the protocol around the autopilot.

Like a PX4 SITL instance, vehicle i sends to 127.0.0.1:base+i (where a ground station listens)
and also answers whoever talked to it recently. Every datagram is parsed on its own with a fresh
robust parser, so garbage, half packets, bad CRCs and floods cost a little CPU and nothing else.
Messages addressed to another system id are dropped.
"""

from __future__ import annotations

import logging
import math
import socket
import struct
import time

from pymavlink.dialects.v20 import common as mavlink

from sim.autopilot import Autopilot
from sim.commands import CommandArgs, args_from_int, args_from_long, run_command
from sim.events import HeartbeatNow, ItemReached, MissionCurrentChanged, PhotoTaken, StatusText
from sim.mav_result import Result
from sim.mission_protocol import MissionProtocol
from sim.resends import ResendFilter, command_key
from sim.streams import StreamScheduler
from sim.telemetry import STREAMS, autopilot_version, heartbeat, mission_current, quaternion

log = logging.getLogger(__name__)

PEER_EXPIRY_S = 10.0  #: wall seconds: a ground station that went quiet is no longer sent to
MAX_DATAGRAMS_PER_TICK = 256  #: a flood cannot starve the other vehicles
STATUSTEXT_LEN = 50
HEARTBEAT_MAX_WALL_GAP_S = 1.0
CMD_SET_MESSAGE_INTERVAL = 511
CMD_REQUEST_MESSAGE = 512
CMD_REQUEST_AUTOPILOT_CAPABILITIES = 520

Address = tuple[str, int]


class VehicleEndpoint:
    def __init__(self, *, index: int, sysid: int, autopilot: Autopilot, sock: socket.socket,
                 gcs_address: Address, phase_frac: float) -> None:
        self.index = index
        self.sysid = sysid
        self.ap = autopilot
        self.sock = sock
        self.gcs_address = gcs_address
        self.peers: dict[Address, float] = {}
        self.mav = mavlink.MAVLink(self, srcSystem=sysid, srcComponent=1)
        self.streams = StreamScheduler(
            {mid: every for mid, (every, _) in STREAMS.items()}, phase_frac=phase_frac,
            max_wall_gap_s={mavlink.MAVLINK_MSG_ID_HEARTBEAT: HEARTBEAT_MAX_WALL_GAP_S})
        self.missions = MissionProtocol(autopilot, self.send, sysid)
        self.resends = ResendFilter()
        self._utc_at_start_s = time.time()
        self.rejected_datagrams = 0
        self._statustext_id = 0

    # pymavlink calls this with each packed message
    def write(self, buf: bytes) -> None:
        for addr in self._destinations():
            try:
                self.sock.sendto(buf, addr)
            except OSError:  # nobody listening yet (ICMP refused) or a full buffer: drop it
                pass

    def send(self, msg: mavlink.MAVLink_message) -> None:
        self.mav.send(msg)

    def _destinations(self) -> list[Address]:
        dests = [self.gcs_address]
        dests += [a for a in self.peers if a != self.gcs_address]
        return dests

    # ----- input ---------------------------------------------------------------------------

    def receive_pending(self, wall_s: float) -> None:
        for _ in range(MAX_DATAGRAMS_PER_TICK):
            try:
                data, addr = self.sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # an ICMP error from an earlier send: not about this datagram
                continue
            self.on_datagram(data, addr, wall_s)

    def on_datagram(self, data: bytes, addr: Address, wall_s: float) -> None:
        parser = mavlink.MAVLink(None, srcSystem=self.sysid, srcComponent=1)
        parser.robust_parsing = True
        try:
            msgs = parser.parse_buffer(data) or []
        except Exception:  # pymavlink raises assorted errors on hostile bytes
            self.rejected_datagrams += 1
            return
        for msg in msgs:
            if msg.get_type() == "BAD_DATA":
                self.rejected_datagrams += 1
                continue
            self.peers[addr] = wall_s
            try:
                self._handle(msg, wall_s)
            except Exception:  # a malformed field must never stop the vehicle
                self.rejected_datagrams += 1
                log.debug("vehicle %d ignored %s", self.sysid, msg.get_type(), exc_info=True)

    def _handle(self, msg: mavlink.MAVLink_message, wall_s: float) -> None:
        target = getattr(msg, "target_system", 0)
        if target not in (0, self.sysid):
            return
        mid = msg.get_msgId()
        if mid == mavlink.MAVLINK_MSG_ID_HEARTBEAT:
            if msg.type == mavlink.MAV_TYPE_GCS:
                self.ap.heard_gcs(wall_s)
        elif mid == mavlink.MAVLINK_MSG_ID_COMMAND_LONG:
            args = args_from_long(msg.command, (msg.param1, msg.param2, msg.param3, msg.param4,
                                                msg.param5, msg.param6, msg.param7))
            self._command(msg, args, wall_s)
        elif mid == mavlink.MAVLINK_MSG_ID_COMMAND_INT:
            args = args_from_int(msg.command, msg.frame,
                                 (msg.param1, msg.param2, msg.param3, msg.param4),
                                 msg.x, msg.y, msg.z)
            self._command(msg, args, wall_s)
        elif mid == mavlink.MAVLINK_MSG_ID_PARAM_REQUEST_LIST:
            for name in self.ap.params.names():
                self._param_value(name)
        elif mid == mavlink.MAVLINK_MSG_ID_PARAM_REQUEST_READ:
            name = msg.param_id if msg.param_index < 0 else self.ap.params.name_at(msg.param_index)
            if name is not None and self.ap.params.index_of(name) is not None:
                self._param_value(name)
        elif mid == mavlink.MAVLINK_MSG_ID_PARAM_SET:
            if self.ap.params.index_of(msg.param_id) is not None:
                # echo the value now held: the new one, or the old one when NaN was refused
                self.ap.params.set_from_wire(msg.param_id, msg.param_value, msg.param_type)
                self._param_value(msg.param_id)
        elif mid == mavlink.MAVLINK_MSG_ID_GIMBAL_MANAGER_SET_PITCHYAW:
            self.ap.point_gimbal(pitch_deg=_degrees_or_none(msg.pitch),
                                 yaw_deg=_degrees_or_none(msg.yaw), flags=msg.flags)
        elif mid == mavlink.MAVLINK_MSG_ID_PING:
            if msg.target_system == 0 and msg.target_component == 0:
                self.send(mavlink.MAVLink_ping_message(msg.time_usec, msg.seq,
                                                       msg.get_srcSystem(), msg.get_srcComponent()))
        else:
            self.missions.handle(msg, wall_s)

    def _param_value(self, name: str) -> None:
        params = self.ap.params
        value, ptype = params.wire(name)
        self.send(mavlink.MAVLink_param_value_message(
            name.encode(), value, ptype, len(params), params.index_of(name) or 0))

    def _command(self, msg: mavlink.MAVLink_message, args: CommandArgs, wall_s: float) -> None:
        follow_up: mavlink.MAVLink_message | None = None
        key = command_key((msg.get_srcSystem(), msg.get_srcComponent()), args)
        earlier = self.resends.earlier_result(key, wall_s)
        if args.command == CMD_SET_MESSAGE_INTERVAL:
            ok = self.streams.set_interval(int(args.params[0]), args.params[1])
            result = Result.ACCEPTED if ok else Result.DENIED
        elif args.command in (CMD_REQUEST_MESSAGE, CMD_REQUEST_AUTOPILOT_CAPABILITIES):
            wanted = int(args.params[0])
            if args.command == CMD_REQUEST_AUTOPILOT_CAPABILITIES:
                wanted = mavlink.MAVLINK_MSG_ID_AUTOPILOT_VERSION
            follow_up = self._requested(wanted)
            result = Result.ACCEPTED if follow_up is not None else Result.DENIED
        elif earlier is not None:
            result = earlier
        else:
            result = run_command(self.ap, args)
            self.resends.remember(key, result, wall_s)
        self.send(mavlink.MAVLink_command_ack_message(
            args.command, int(result), 0, 0, msg.get_srcSystem(), msg.get_srcComponent()))
        if follow_up is not None:
            self.send(follow_up)
        self.flush_events()

    def _requested(self, msg_id: int) -> mavlink.MAVLink_message | None:
        if msg_id == mavlink.MAVLINK_MSG_ID_AUTOPILOT_VERSION:
            return autopilot_version(self.ap, self.sysid)
        stream = STREAMS.get(msg_id)
        return stream[1](self.ap) if stream is not None else None

    # ----- output ----------------------------------------------------------------------------

    def tick(self, sim_s: float, wall_s: float) -> None:
        self.flush_events()
        for mid in self.streams.due(sim_s, wall_s):
            try:
                self.send(STREAMS[mid][1](self.ap))
            except (struct.error, ValueError, OverflowError):  # a value out of the field's range
                log.exception("vehicle %d could not send message %d", self.sysid, mid)
        self.missions.tick(wall_s)
        stale = [a for a, t in self.peers.items() if wall_s - t > PEER_EXPIRY_S]
        for a in stale:
            del self.peers[a]

    def flush_events(self) -> None:
        ap = self.ap
        events = list(ap.outbox)
        ap.outbox.clear()
        current_sent = False
        for ev in events:
            match ev:
                case HeartbeatNow():
                    self.send(heartbeat(ap))
                case StatusText(severity=sev, text=text):
                    self._statustext(sev, text)
                case ItemReached(seq=seq):
                    self.send(mavlink.MAVLink_mission_item_reached_message(seq))
                case MissionCurrentChanged() if not current_sent:
                    self.send(mission_current(ap))
                    current_sent = True
                case PhotoTaken():
                    self.send(self._image_captured(ev))

    def _statustext(self, severity: int, text: str) -> None:
        """Texts over 50 bytes go out in chunks sharing an id, as PX4 sends them."""
        data = text.encode()
        if len(data) <= STATUSTEXT_LEN:
            self.send(mavlink.MAVLink_statustext_message(severity, data, 0, 0))
            return
        self._statustext_id = self._statustext_id % 65535 + 1
        for n, start in enumerate(range(0, len(data), STATUSTEXT_LEN)):
            self.send(mavlink.MAVLink_statustext_message(
                severity, data[start:start + STATUSTEXT_LEN], self._statustext_id, n))

    def _image_captured(self, ev: PhotoTaken) -> mavlink.MAVLink_message:
        p = ev.position
        t_utc_us = int((self._utc_at_start_s + self.ap.t_s) * 1e6)
        pitch, yaw = self.ap.gimbal_angles_deg()
        return mavlink.MAVLink_camera_image_captured_message(
            int(self.ap.t_s * 1000) & 0xFFFFFFFF, t_utc_us, 0, int(round(p.lat_deg * 1e7)),
            int(round(p.lon_deg * 1e7)), int(round(p.alt_amsl_m * 1000)),
            int(round(ev.alt_rel_m * 1000)),
            quaternion(0.0, pitch, (yaw + self.ap.body.heading_deg) % 360.0),
            ev.index, 1, f"sim://{self.sysid}/img{ev.index:05d}.jpg".encode())


def _degrees_or_none(rad: float) -> float | None:
    """A setpoint in radians; NaN means "leave it as it is"."""
    return math.degrees(rad) if math.isfinite(rad) else None
