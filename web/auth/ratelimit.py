"""Failed sign-ins slow an attacker down: a sliding window per user name and per address.

A user name gets few tries (guessing one account's password); an address gets more, because a
control room behind one NAT address signs in many operators, some of whom mistype. Time is
passed in, so the windows are tested without waiting.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass

MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20
WINDOW_S = 300.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Verdict:
    allowed: bool
    retry_after_s: int = 0  #: whole seconds until the oldest counted failure leaves the window


class LoginLimiter:
    """At most `per_user` failed sign-ins per user name and `per_address` per client address
    within `window_s`; a success clears the user name's count, not the address's."""

    def __init__(
        self,
        *,
        per_user: int = MAX_FAILURES_PER_USER,
        per_address: int = MAX_FAILURES_PER_ADDRESS,
        window_s: float = WINDOW_S,
    ) -> None:
        self._per_user = per_user
        self._per_address = per_address
        self._window_s = window_s
        self._users: dict[str, deque[float]] = defaultdict(deque)
        self._addresses: dict[str, deque[float]] = defaultdict(deque)

    def check(self, username: str, address: str, now_s: float) -> Verdict:
        wait_s = 0.0
        for failures, key, limit in (
            (self._users, username, self._per_user),
            (self._addresses, address, self._per_address),
        ):
            times = self._prune(failures, key, now_s)
            if len(times) >= limit:
                wait_s = max(wait_s, times[-limit] + self._window_s - now_s)
        if wait_s <= 0:
            return Verdict(allowed=True)
        return Verdict(allowed=False, retry_after_s=max(1, int(wait_s + 0.999)))

    def failed(self, username: str, address: str, now_s: float) -> None:
        self._users[username].append(now_s)
        self._addresses[address].append(now_s)

    def succeeded(self, username: str) -> None:
        self._users.pop(username, None)

    def _prune(self, failures: dict[str, deque[float]], key: str, now_s: float) -> deque[float]:
        times = failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now_s - self._window_s:
            times.popleft()
        if not times:
            del failures[key]  # forget quiet keys, so memory does not grow with scanned names
        return times
