"""ROS 2 tests: packages built once per session, each test in a DDS domain of its own."""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_domains = itertools.count(60 + os.getpid() % 30)


def fresh_domain() -> int:
    """A `ROS_DOMAIN_ID` no other test of this run has had (1..100)."""
    return next(_domains) % 100 + 1


@pytest.fixture(scope="session")
def ros_built() -> None:
    """`scripts/build_ros.sh` (a no-op when nothing changed) so tests run the current nodes."""
    subprocess.run(["bash", str(REPO / "scripts" / "build_ros.sh")], check=True, timeout=600)


@pytest.fixture
def ros_domain(ros_built: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A fresh `ROS_DOMAIN_ID`, loopback-only discovery and logs in the test's temp dir, set in
    this process (for in-process rclpy) and inherited by the nodes it starts."""
    from skywatch.onboard import ros_environment

    domain = fresh_domain()
    for key, value in ros_environment(domain_id=domain, log_dir=tmp_path / "ros-log").items():
        monkeypatch.setenv(key, value)
    yield domain
