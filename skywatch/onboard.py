"""`skywatch onboard`: the ROS 2 nodes of N simulated vehicles, as supervised subprocesses.

ROS 2 here comes from PyPI wheels (`scripts/build_ros.sh`): there is no `ros2 launch`, so each
node is a console script started with `--ros-args`. This module never imports rclpy; it only
prepares the environment every node needs and starts, watches and stops the processes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Shared-memory transport large enough for whole camera frames (see the file's comment).
FASTDDS_PROFILE = REPO / "ros_ws" / "fastdds_local.xml"


def ros_environment(*, domain_id: int | None = None, log_dir: Path | None = None) -> dict[str, str]:
    """Variables a ROS 2 process of Skywatch needs, to add to `os.environ`.

    Discovery stays on loopback (`ROS_AUTOMATIC_DISCOVERY_RANGE`); the Fast DDS profile carries
    full frames over shared memory; `AMENT_PREFIX_PATH` lets ament_index find the packages in
    the venv. The wheels' bootstrapper has already set `LD_LIBRARY_PATH` and its completion flag
    in this process: children inherit both together, as they must.
    """
    env = {
        "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
        "FASTDDS_DEFAULT_PROFILES_FILE": str(FASTDDS_PROFILE),
        "AMENT_PREFIX_PATH": sys.prefix,
    }
    if domain_id is not None:
        if not 0 <= domain_id <= 101:
            raise ValueError(f"domain_id must be 0..101, got {domain_id}")
        env["ROS_DOMAIN_ID"] = str(domain_id)
    if log_dir is not None:
        env["ROS_LOG_DIR"] = str(log_dir)
    return env


def child_environment(*, domain_id: int | None = None,
                      log_dir: Path | None = None) -> dict[str, str]:
    """This process's environment plus `ros_environment(...)`, for `subprocess`."""
    return {**os.environ, **ros_environment(domain_id=domain_id, log_dir=log_dir)}


def node_command(executable: str, *, namespace: str,
                 params: dict[str, str | int | float | bool] | None = None,
                 node_name: str | None = None) -> list[str]:
    """Argument list that starts one node console script from this venv in `namespace`.

    There is no `ros2 run` with the PyPI wheels: the script is called directly with
    `--ros-args`, remapping its namespace (and name) and setting each parameter.
    """
    args = [str(Path(sys.prefix) / "bin" / executable), "--ros-args", "-r", f"__ns:={namespace}"]
    if node_name is not None:
        args += ["-r", f"__node:={node_name}"]
    for key, value in (params or {}).items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        args += ["-p", f"{key}:={text}"]
    return args
