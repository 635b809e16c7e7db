"""The MAVLink mission protocol (mission, fence and rally), vehicle side, as PX4 answers it.

Upload: MISSION_COUNT → MISSION_REQUEST_INT(0..n-1) ← MISSION_ITEM_INT → MISSION_ACK, with a
re-request when an item does not arrive. Download: MISSION_REQUEST_LIST → MISSION_COUNT,
MISSION_REQUEST_INT / legacy MISSION_REQUEST → MISSION_ITEM_INT. Items come back exactly as
stored. Protocol timeouts run on the wall clock: they are about the link, not the flight.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from pymavlink.dialects.v20 import common as mavlink

from sim.autopilot import Autopilot
from sim.mission_items import MissionItem

RETRY_AFTER_S = 0.5
MAX_RETRIES = 5
MAX_ITEMS = 1000
MISSION_TYPE_ALL = 255
_TYPES = (mavlink.MAV_MISSION_TYPE_MISSION, mavlink.MAV_MISSION_TYPE_FENCE,
          mavlink.MAV_MISSION_TYPE_RALLY)
_TYPE_NAMES = {mavlink.MAV_MISSION_TYPE_MISSION: "mission",
               mavlink.MAV_MISSION_TYPE_FENCE: "fence", mavlink.MAV_MISSION_TYPE_RALLY: "rally"}
_GLOBAL_FRAMES = frozenset({0, 3, 5, 6, 10, 11})

Send = Callable[[mavlink.MAVLink_message], None]
log = logging.getLogger(__name__)


@dataclass(kw_only=True, slots=True)
class _Upload:
    mission_type: int
    peer: tuple[int, int]
    items: list[MissionItem | None] = field(default_factory=list)
    last_wall_s: float = 0.0
    retries: int = 0

    def next_missing(self) -> int | None:
        return next((i for i, it in enumerate(self.items) if it is None), None)


class MissionProtocol:
    def __init__(self, ap: Autopilot, send: Send, sysid: int = 1) -> None:
        self._ap = ap
        self._sysid = sysid
        self._send = send
        self._upload: _Upload | None = None

    def handle(self, msg: mavlink.MAVLink_message, wall_s: float) -> bool:
        """Handle one mission-protocol message; False when it is not one."""
        mid = msg.get_msgId()
        peer = (msg.get_srcSystem(), msg.get_srcComponent())
        mtype = getattr(msg, "mission_type", 0)
        if mid == mavlink.MAVLINK_MSG_ID_MISSION_COUNT:
            self._begin_upload(peer, mtype, msg.count, wall_s)
        elif mid in (mavlink.MAVLINK_MSG_ID_MISSION_ITEM_INT, mavlink.MAVLINK_MSG_ID_MISSION_ITEM):
            self._on_item(peer, _stored(msg), wall_s)
        elif mid == mavlink.MAVLINK_MSG_ID_MISSION_REQUEST_LIST:
            if mtype in _TYPES:
                self._send(mavlink.MAVLink_mission_count_message(
                    peer[0], peer[1], len(self._ap.missions[mtype]), mtype))
            else:
                self._ack(peer, mtype, mavlink.MAV_MISSION_UNSUPPORTED)
        elif mid in (mavlink.MAVLINK_MSG_ID_MISSION_REQUEST_INT,
                     mavlink.MAVLINK_MSG_ID_MISSION_REQUEST):
            self._send_item(peer, mtype, msg.seq)
        elif mid == mavlink.MAVLINK_MSG_ID_MISSION_CLEAR_ALL:
            for t in _TYPES if mtype == MISSION_TYPE_ALL else (mtype,):
                if t in _TYPES:
                    self._store(peer, t, [], "MISSION_CLEAR_ALL")
            self._ack(peer, mtype, mavlink.MAV_MISSION_ACCEPTED)
        elif mid == mavlink.MAVLINK_MSG_ID_MISSION_SET_CURRENT:
            self._ap.set_current(msg.seq)
        elif mid != mavlink.MAVLINK_MSG_ID_MISSION_ACK:
            return False
        return True

    def tick(self, wall_s: float) -> None:
        """Re-request a missing item; give up (and say so) after MAX_RETRIES."""
        up = self._upload
        if up is None or wall_s - up.last_wall_s < RETRY_AFTER_S:
            return
        nxt = up.next_missing()
        if up.retries >= MAX_RETRIES or nxt is None:
            self._upload = None
            self._ack(up.peer, up.mission_type, mavlink.MAV_MISSION_OPERATION_CANCELLED)
            return
        up.retries += 1
        up.last_wall_s = wall_s
        self._request(up, nxt)

    def _begin_upload(self, peer: tuple[int, int], mtype: int, count: int, wall_s: float) -> None:
        if mtype not in _TYPES:
            self._ack(peer, mtype, mavlink.MAV_MISSION_UNSUPPORTED)
            return
        if count > MAX_ITEMS:
            self._ack(peer, mtype, mavlink.MAV_MISSION_NO_SPACE)
            return
        if count == 0:
            self._upload = None
            self._store(peer, mtype, [], "MISSION_COUNT 0")
            self._ack(peer, mtype, mavlink.MAV_MISSION_ACCEPTED)
            return
        self._upload = _Upload(mission_type=mtype, peer=peer, items=[None] * count,
                               last_wall_s=wall_s)
        self._request(self._upload, 0)

    def _on_item(self, peer: tuple[int, int], item: MissionItem, wall_s: float) -> None:
        up = self._upload
        if up is None or item.mission_type != up.mission_type:
            return
        if not 0 <= item.seq < len(up.items):
            self._ack(peer, up.mission_type, mavlink.MAV_MISSION_INVALID_SEQUENCE)
            return
        up.items[item.seq] = item
        up.last_wall_s = wall_s
        up.retries = 0
        nxt = up.next_missing()
        if nxt is not None:
            self._request(up, nxt)
            return
        self._upload = None
        self._store(peer, up.mission_type, [it for it in up.items if it is not None], "upload")
        self._ack(peer, up.mission_type, mavlink.MAV_MISSION_ACCEPTED)

    def _store(self, peer: tuple[int, int], mtype: int, items: list[MissionItem],
               how: str) -> None:
        """Replace a stored list, and log who did it: a vehicle's plan changing under it
        is the first thing to look for when a flight goes wrong."""
        log.info("vehicle %d: %s list (type %d) now %d items, by %s from %d/%d",
                 self._sysid, _TYPE_NAMES.get(mtype, "?"), mtype, len(items), how, *peer)
        self._ap.store_items(mtype, items)

    def _send_item(self, peer: tuple[int, int], mtype: int, seq: int) -> None:
        items = self._ap.missions.get(mtype, [])
        if not 0 <= seq < len(items):
            self._ack(peer, mtype, mavlink.MAV_MISSION_INVALID_SEQUENCE)
            return
        it = items[seq]
        self._send(mavlink.MAVLink_mission_item_int_message(
            peer[0], peer[1], it.seq, it.frame, it.command, it.current, it.autocontinue,
            it.param1, it.param2, it.param3, it.param4, it.x, it.y, it.z, it.mission_type))

    def _request(self, up: _Upload, seq: int) -> None:
        self._send(mavlink.MAVLink_mission_request_int_message(
            up.peer[0], up.peer[1], seq, up.mission_type))

    def _ack(self, peer: tuple[int, int], mtype: int, result: int) -> None:
        self._send(mavlink.MAVLink_mission_ack_message(peer[0], peer[1], result, mtype))


def _stored(msg: mavlink.MAVLink_message) -> MissionItem:
    x, y = msg.x, msg.y
    if msg.get_msgId() == mavlink.MAVLINK_MSG_ID_MISSION_ITEM and msg.frame in _GLOBAL_FRAMES:
        x, y = int(round(msg.x * 1e7)), int(round(msg.y * 1e7))  # legacy float degrees
    return MissionItem(seq=msg.seq, frame=msg.frame, command=msg.command, current=msg.current,
                       autocontinue=msg.autocontinue, param1=msg.param1, param2=msg.param2,
                       param3=msg.param3, param4=msg.param4, x=int(x), y=int(y), z=msg.z,
                       mission_type=getattr(msg, "mission_type", 0))
