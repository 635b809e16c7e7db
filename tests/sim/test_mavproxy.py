"""mavproxy, driven through its console on a pipe, sees a PX4 vehicle and can arm and take off.

`--non-interactive` / `--daemon` ignore stdin and run `--cmd` before a vehicle is connected, so
the test talks to the interactive console instead, which reads a pipe fine.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


class Console:
    def __init__(self, args: list[str], cwd: Path) -> None:
        self.proc = subprocess.Popen(args, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def expect(self, text: str, timeout_s: float = 20.0) -> str:
        """The first line (already seen or still to come) containing `text`."""
        for line in self.seen:
            if text in line:
                return line
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if text in line:
                return line
        raise TimeoutError(f"mavproxy never said {text!r}; it said:\n{''.join(self.seen)}")

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=5)


def test_mavproxy_connects_arms_and_takes_off(sim_factory, tmp_path: Path) -> None:
    mavproxy = shutil.which("mavproxy.py", path=str(Path(sys.executable).parent))
    if mavproxy is None:
        pytest.skip("mavproxy is not installed")
    sim = sim_factory(vehicles=1, speedup=10.0)
    console = Console([sys.executable, mavproxy, f"--master={sim.mavutil_url(0)}",
                       f"--state-basedir={tmp_path}"], cwd=tmp_path)
    try:
        console.expect("GPS lock")
        console.expect("online system 1")
        console.send("arm throttle")
        console.expect("COMPONENT_ARM_DISARM: ACCEPTED")
        console.expect("ARMED")
        console.send("takeoff 10")
        console.expect("NAV_TAKEOFF: ACCEPTED")
        console.expect("AP: Takeoff to")  # the vehicle's STATUSTEXT, relayed
        # mavproxy's `mode RTL` cannot set PX4 modes (it passes the mode tuple as a float),
        # so return with the command itself, and switch the loudspeaker (MAV_CMD_USER_1) on
        console.send("long USER_1 1")
        console.expect("AP: Loudspeaker on")
        console.send("long NAV_RETURN_TO_LAUNCH")
        console.expect("AP: Returning to launch")
        console.expect("AP: Home reached, landing", timeout_s=30)
    finally:
        console.close()
