"""An in-process rclpy node for tests: publish, collect what arrives, wait while spinning.

No executor thread: every wait spins the node itself, so nothing is left running when a test
ends and the context shuts down cleanly.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

RELIABLE = QoSProfile(depth=500, reliability=ReliabilityPolicy.RELIABLE,
                      history=HistoryPolicy.KEEP_LAST)
BEST_EFFORT = QoSProfile(depth=5, reliability=ReliabilityPolicy.BEST_EFFORT,
                         history=HistoryPolicy.KEEP_LAST)
#: What /rosout keeps for late joiners.
ROSOUT = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE,
                    history=HistoryPolicy.KEEP_LAST, durability=DurabilityPolicy.TRANSIENT_LOCAL)


class Probe:
    def __init__(self, name: str) -> None:
        self.context = rclpy.Context()
        rclpy.init(context=self.context)  # domain and discovery range from the environment
        self.node = rclpy.create_node(name, context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)

    def collect(self, msg_type: Any, topic: str, qos: QoSProfile = RELIABLE) -> list[Any]:
        """A list that fills with every message arriving on `topic` while the probe spins."""
        received: list[Any] = []
        self.node.create_subscription(msg_type, topic, received.append, qos)
        return received

    def wait_for(self, condition: Callable[[], object], timeout_s: float, what: str,
                 *, every_s: float | None = None, action: Callable[[], None] | None = None,
                 watch: list[subprocess.Popen[bytes]] | None = None) -> None:
        """Spin until `condition()` holds; `action()` runs first and every `every_s` seconds
        (a publisher repeating itself until heard). Fails naming `what` on time-out, or at once
        if a watched process has exited."""
        deadline = time.monotonic() + timeout_s
        next_action = time.monotonic()
        while not condition():
            now = time.monotonic()
            if now > deadline:
                raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
            for proc in watch or []:
                if proc.poll() is not None:
                    raise AssertionError(f"{proc.args[0]} exited with {proc.returncode} while "
                                         f"waiting for {what}")
            if action is not None and every_s is not None and now >= next_action:
                action()
                next_action = now + every_s
            self.executor.spin_once(timeout_sec=0.02)

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)


def start(args: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    """A node process with its output in `log_path` (the test's environment is inherited)."""
    with log_path.open("wb") as log:
        return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 10.0) -> int:
    """SIGINT (as Ctrl-C), then SIGKILL if it does not end within `timeout_s`."""
    if proc.poll() is None:
        proc.send_signal(2)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode
