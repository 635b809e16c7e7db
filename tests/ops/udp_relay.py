"""A UDP relay between one simulated vehicle and the fleet, which a test can cut.

It stands for the radio link: the vehicle sends to the relay's port (the one the simulator
was told), the relay forwards to the port the fleet listens on and back. `cut()` drops every
datagram both ways, as a link out of range would, while both ends keep running; this is the
one fault the tests cannot cause with the simulator alone (it can only freeze every vehicle).
A test can also listen to what the vehicle sends (`listen`), as a second ground station would.

The relay forwards on its own thread, not on the test's event loop: the loop also runs the
server, and on a loaded machine a stall of a few seconds there would look to the vehicle like
a lost link (its failsafe would turn it home) when no radio was cut.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

RECV_TIMEOUT_S = 0.2  #: how soon the thread notices `close()`


class UdpRelay:
    def __init__(self, listen_port: int, fleet_port: int) -> None:
        self.fleet_addr = ("127.0.0.1", fleet_port)
        self.vehicle_addr: tuple[str, int] | None = None
        self.cut_off = False
        self._listeners: list[Callable[[bytes], None]] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("0.0.0.0", listen_port))
        self._sock.settimeout(RECV_TIMEOUT_S)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"udp-relay-{listen_port}",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._closed.is_set():
            try:
                data, addr = self._sock.recvfrom(65_535)
            except TimeoutError:
                continue
            except OSError:  # closed
                return
            if self.cut_off:
                continue
            if addr[1] == self.fleet_addr[1]:
                if self.vehicle_addr is not None:
                    self._sock.sendto(data, self.vehicle_addr)
            else:
                self.vehicle_addr = addr
                self._sock.sendto(data, self.fleet_addr)
                for listener in self._listeners:
                    listener(data)

    def listen(self, listener: Callable[[bytes], None]) -> None:
        """Call `listener` (on the relay's thread: keep it cheap) with every datagram the
        vehicle sends while the link is up."""
        self._listeners.append(listener)

    def cut(self) -> None:
        self.cut_off = True

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=2 * RECV_TIMEOUT_S + 1)
        self._sock.close()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("0.0.0.0", 0))
        return int(s.getsockname()[1])


async def start_relay(listen_port: int, fleet_port: int) -> UdpRelay:
    """Relay datagrams arriving on `listen_port` (from the vehicle) to the fleet's port."""
    return UdpRelay(listen_port, fleet_port)
