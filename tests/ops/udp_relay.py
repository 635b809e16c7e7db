"""A UDP relay between one simulated vehicle and the fleet, which a test can cut.

It stands for the radio link: the vehicle sends to the relay's port (the one the simulator
was told), the relay forwards to the port the fleet listens on and back. `cut()` drops every
datagram both ways, as a link out of range would, while both ends keep running; this is the
one fault the tests cannot cause with the simulator alone (it can only freeze every vehicle).
A test can also listen to what the vehicle sends (`listen`), as a second ground station would.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable


class UdpRelay(asyncio.DatagramProtocol):
    def __init__(self, fleet_port: int) -> None:
        self.fleet_addr = ("127.0.0.1", fleet_port)
        self.vehicle_addr: tuple[str, int] | None = None
        self.cut_off = False
        self._transport: asyncio.DatagramTransport | None = None
        self._listeners: list[Callable[[bytes], None]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.cut_off or self._transport is None:
            return
        if addr[1] == self.fleet_addr[1]:
            if self.vehicle_addr is not None:
                self._transport.sendto(data, self.vehicle_addr)
        else:
            self.vehicle_addr = addr
            self._transport.sendto(data, self.fleet_addr)
            for listener in self._listeners:
                listener(data)

    def listen(self, listener: Callable[[bytes], None]) -> None:
        """Call `listener` with every datagram the vehicle sends (while the link is up)."""
        self._listeners.append(listener)

    def cut(self) -> None:
        self.cut_off = True

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("0.0.0.0", 0))
        return int(s.getsockname()[1])


async def start_relay(listen_port: int, fleet_port: int) -> UdpRelay:
    """Relay datagrams arriving on `listen_port` (from the vehicle) to the fleet's port."""
    loop = asyncio.get_running_loop()
    _, relay = await loop.create_datagram_endpoint(lambda: UdpRelay(fleet_port),
                                                   local_addr=("0.0.0.0", listen_port))
    return relay
