"""Tell a resent command from a new one, for the commands where it matters.

Ground stations resend a command whose ACK they missed (MAVSDK: every 0.5 s, up to 4 times,
confirmation still 0), so a resend looks exactly like a new command. Most commands are
idempotent anyway (arm when armed, RTL when returning). Releasing a payload or taking a photo
is not: an identical one from the same sender within `window_s` of wall time is answered with
the first one's result instead of being carried out again.
"""

from __future__ import annotations

import struct

from sim.commands import (
    CMD_DO_DIGICAM_CONTROL,
    CMD_DO_GRIPPER,
    CMD_IMAGE_START_CAPTURE,
    CommandArgs,
)
from sim.mav_result import Result

RESEND_WINDOW_S = 1.0
NOT_IDEMPOTENT = frozenset({CMD_DO_GRIPPER, CMD_IMAGE_START_CAPTURE, CMD_DO_DIGICAM_CONTROL})

Key = tuple[int, int, int, int, bytes]


def command_key(sender: tuple[int, int], args: CommandArgs) -> Key:
    """Bytes, not floats, so NaN parameters compare equal to themselves."""
    return (*sender, args.command, args.frame, struct.pack("<7f", *args.params))


class ResendFilter:
    def __init__(self, window_s: float = RESEND_WINDOW_S) -> None:
        self._window_s = window_s
        self._seen: dict[Key, tuple[Result, float]] = {}

    def earlier_result(self, key: Key, wall_s: float) -> Result | None:
        """The result to repeat when this is a resend of a command carried out just now."""
        self._seen = {k: v for k, v in self._seen.items() if wall_s - v[1] <= self._window_s}
        if key[2] not in NOT_IDEMPOTENT:
            return None
        seen = self._seen.get(key)
        return seen[0] if seen is not None else None

    def remember(self, key: Key, result: Result, wall_s: float) -> None:
        if key[2] in NOT_IDEMPOTENT:
            self._seen[key] = (result, wall_s)
