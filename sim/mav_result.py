"""MAV_RESULT values a command can end with."""

from enum import IntEnum


class Result(IntEnum):
    ACCEPTED = 0
    TEMPORARILY_REJECTED = 1
    DENIED = 2
    UNSUPPORTED = 3
    FAILED = 4
