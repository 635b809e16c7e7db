"""The uplink's outbox and sender against a real ground server: a resend after a lost answer
stores nothing twice, a malformed item is set aside without blocking the rest, and a refused
credential or an absent server keeps every item queued with growing waits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ros.ground import PASSWORD, GroundServer
from web.auth.roles import Role

pytestmark = pytest.mark.e2e


def item(n: int, **change: Any) -> Any:
    from skywatch_bridge.outbox import Item

    body = {"id": f"uav4-thermal-{n}-0", "vehicle_id": "uav4", "label": "fire",
            "modality": "thermal", "score": 0.9, "captured_at": "2026-11-25T10:00:00+00:00",
            "box": [1.0, 2.0, 30.0, 40.0], "image_width": 640, "image_height": 512, **change}
    return Item(id=body["id"], kind="detections", body=body)


def test_resends_bad_items_and_refusals(ros_built: None, tmp_path: Path) -> None:
    from skywatch_bridge.client import GroundClient
    from skywatch_bridge.outbox import Outbox
    from skywatch_bridge.sender import Backoff, Sender

    server = GroundServer(tmp_path / "ground", tmp_path / "server.log")
    server.add_account("bridge-uav4", Role.VEHICLE, vehicle_id="uav4")
    server.add_account("chief", Role.ADMIN)
    server.start()
    logged: list[tuple[str, str]] = []
    outbox = Outbox(tmp_path / "outbox.db")
    sender = Sender(outbox, GroundClient(server.url, "bridge-uav4", PASSWORD),
                    lambda level, text: logged.append((level, text)),
                    backoff=Backoff(first_s=0.5, max_s=4.0))
    try:
        assert outbox.put([item(0), item(1), item(2)]) == 3
        assert outbox.put([item(0)]) == 0  # queued once however often it arrives
        assert sender.send(outbox.oldest(100)) == 0.0
        assert len(outbox) == 0 and sender.stats.stored == 3

        # The bridge died after the server stored the batch but before it forgot it: the same
        # three come round again, with one new one.
        outbox.put([item(0), item(1), item(2), item(3)])
        assert sender.send(outbox.oldest(100)) == 0.0
        assert (sender.stats.stored, sender.stats.duplicates) == (4, 3)
        ids = [d["id"] for d in server.get("/api/detections", "chief")]
        assert ids == [f"uav4-thermal-{n}-0" for n in range(4)]

        # One malformed item between good ones: set aside with the server's reason.
        outbox.put([item(4), item(5, score=2.0), item(6)])
        assert sender.send(outbox.oldest(100)) == 0.0
        assert outbox.rejected() == [("uav4-thermal-5-0",
                                      "detections.1.score: Input should be less than or "
                                      "equal to 1")]
        sender.send(outbox.oldest(100))
        assert len(outbox) == 0
        assert len(server.get("/api/detections", "chief")) == 6

        # A wrong password: nothing is dropped, the sender waits its longest.
        wrong = Sender(outbox, GroundClient(server.url, "bridge-uav4", "not it at all 99"),
                       lambda level, text: logged.append((level, text)),
                       backoff=Backoff(max_s=4.0))
        outbox.put([item(7)])
        assert wrong.send(outbox.oldest(100)) == 4.0
        assert len(outbox) == 1
        assert logged[-1][0] == "error" and "sign-in as 'bridge-uav4' refused" in logged[-1][1]

        # No server: waits double from 0.5 s up to the cap (±20 % jitter); the item stays.
        server.stop()
        waits = [sender.send(outbox.oldest(100)) for _ in range(5)]
        for got, nominal in zip(waits, [0.5, 1.0, 2.0, 4.0, 4.0], strict=True):
            assert 0.8 * nominal <= got <= 1.2 * nominal, waits
        assert len(outbox) == 1 and sender.stats.link_up is False
        assert logged[-1] == ("warning", "uplink down (ConnectError: [Errno 111] Connection "
                                         "refused); 1 queued on disk")
    finally:
        outbox.close()
        server.stop()
