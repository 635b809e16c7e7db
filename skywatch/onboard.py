"""`skywatch onboard`: the ROS 2 nodes of N simulated vehicles, as supervised subprocesses.

ROS 2 here comes from PyPI wheels (`scripts/build_ros.sh`): there is no `ros2 launch`, so each
node is a console script started with `--ros-args`. This module never imports rclpy; it only
prepares the environment every node needs and starts, watches and stops the processes.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from web.auth.service import AuthService

REPO = Path(__file__).resolve().parents[1]
#: Shared-memory transport large enough for whole camera frames (see the file's comment).
FASTDDS_PROFILE = REPO / "ros_ws" / "fastdds_local.xml"
#: The uplink reads its vehicle's password from here, not from its command line (`ps`).
PASSWORD_ENV = "SKYWATCH_VEHICLE_PASSWORD"


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


@dataclass(frozen=True, kw_only=True, slots=True)
class VehicleCredential:
    """A `vehicle` account of the ground server, for one vehicle's uplink."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class OnboardConfig:
    """What `skywatch onboard` runs: per vehicle, a detector per camera, the geolocator and
    (with a server and a credential for the vehicle) the uplink."""

    vehicle_ids: tuple[str, ...]
    cameras: tuple[str, ...] = ("thermal", "rgb")
    server_url: str | None = None
    credentials: Mapping[str, VehicleCredential] = field(default_factory=dict)
    model_path: Path | None = None
    min_score: float = 0.25
    domain_id: int | None = None
    work_dir: Path = Path("data") / "onboard"  #: node logs and the uplinks' outboxes
    #: The simulator's camera port of the first vehicle (`skywatch sim --cameras`: MAVLink
    #: base + 80); vehicle i's bridge reads port + i. None: frames come from elsewhere.
    sim_camera_port: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class NodeSpec:
    name: str  #: "uav0/detector_thermal"
    args: list[str]
    extra_env: Mapping[str, str] = field(default_factory=dict, repr=False)


def node_specs(config: OnboardConfig) -> list[NodeSpec]:
    """Every process `config` asks for, in start order."""
    specs: list[NodeSpec] = []
    for index, vehicle in enumerate(config.vehicle_ids):
        namespace = f"/{vehicle}"
        if config.sim_camera_port is not None:
            specs.append(NodeSpec(name=f"{vehicle}/sim_bridge", args=node_command(
                "skywatch_sim_bridge", namespace=namespace,
                params={"port": config.sim_camera_port + index,
                        "streams": ",".join(config.cameras)})))
        for camera in config.cameras:
            params: dict[str, str | int | float | bool] = {"modality": camera,
                                                           "min_score": config.min_score}
            if config.model_path is not None:
                params["model_path"] = str(config.model_path.resolve())
            specs.append(NodeSpec(name=f"{vehicle}/detector_{camera}", args=node_command(
                "skywatch_detector", namespace=namespace, params=params,
                node_name=f"detector_{camera}")))
        specs.append(NodeSpec(name=f"{vehicle}/geolocator", args=node_command(
            "skywatch_geolocator", namespace=namespace,
            params={"min_score": config.min_score})))
        credential = config.credentials.get(vehicle)
        if config.server_url is not None and credential is not None:
            specs.append(NodeSpec(
                name=f"{vehicle}/uplink",
                args=node_command("skywatch_uplink", namespace=namespace, params={
                    "server_url": config.server_url, "username": credential.username,
                    "password_env": PASSWORD_ENV,
                    "outbox_path": str((config.work_dir / f"uplink-{vehicle}.db").resolve()),
                }),
                extra_env={PASSWORD_ENV: credential.password}))
    return specs


class Onboard:
    """The node processes of `config`, restarted with growing pauses when one dies."""

    def __init__(self, config: OnboardConfig, log: Callable[[str], None] = lambda _: None) -> None:
        self.config = config
        self.specs = node_specs(config)
        self.log = log
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.restarts: dict[str, int] = {}
        self._retry_at: dict[str, float] = {}

    def start(self) -> None:
        self.config.work_dir.mkdir(parents=True, exist_ok=True)
        for spec in self.specs:
            self._start(spec)

    def supervise_once(self) -> None:
        """Restart what has exited: after 1 s, doubling to 30 s for a node that keeps dying."""
        now = time.monotonic()
        for spec in self.specs:
            proc = self.procs.get(spec.name)
            if proc is None or proc.poll() is None:
                continue
            if spec.name not in self._retry_at:
                count = self.restarts.get(spec.name, 0)
                self._retry_at[spec.name] = now + min(30.0, 2.0**count)
                self.log(f"{spec.name} exited with {proc.returncode}; restarting "
                         f"(log: {self._log_path(spec)})")
            elif now >= self._retry_at[spec.name]:
                del self._retry_at[spec.name]
                self.restarts[spec.name] = self.restarts.get(spec.name, 0) + 1
                self._start(spec)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ctrl-C to every node, then SIGKILL what is still running after `timeout_s`."""
        running = [p for p in self.procs.values() if p.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + timeout_s
        for proc in running:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def _start(self, spec: NodeSpec) -> None:
        env = {**child_environment(domain_id=self.config.domain_id,
                                   log_dir=self.config.work_dir / "ros-log"), **spec.extra_env}
        with self._log_path(spec).open("ab") as out:
            self.procs[spec.name] = subprocess.Popen(spec.args, env=env, stdout=out,
                                                     stderr=subprocess.STDOUT)

    def _log_path(self, spec: NodeSpec) -> Path:
        return self.config.work_dir / f"{spec.name.replace('/', '-')}.log"


@contextmanager
def onboard_running(config: OnboardConfig,
                    log: Callable[[str], None] = lambda _: None) -> Iterator[Onboard]:
    """The nodes of `config` running and supervised from a thread until the block ends: what
    `skywatch up` calls to fly its simulated drones with perception and uplink."""
    onboard = Onboard(config, log)
    stop = threading.Event()

    def supervise() -> None:
        while not stop.wait(0.5):
            onboard.supervise_once()

    onboard.start()
    thread = threading.Thread(target=supervise, name="onboard-supervisor", daemon=True)
    thread.start()
    try:
        yield onboard
    finally:
        stop.set()
        thread.join()
        onboard.stop()


def load_credentials(path: Path) -> dict[str, VehicleCredential]:
    """`{vehicle_id: {username, password}}` from a YAML (or JSON) file; ValueError naming the
    entry that is not right."""
    document = yaml.safe_load(path.read_text())
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a mapping of vehicle id to username and password")
    out: dict[str, VehicleCredential] = {}
    for vehicle, entry in document.items():
        if not (isinstance(entry, dict) and isinstance(entry.get("username"), str)
                and isinstance(entry.get("password"), str)):
            raise ValueError(f"{path}: {vehicle}: needs a username and a password (strings)")
        out[str(vehicle)] = VehicleCredential(username=entry["username"],
                                              password=entry["password"])
    return out


def provision_credentials(auth: AuthService,
                          vehicle_ids: Sequence[str]) -> dict[str, VehicleCredential]:
    """A `vehicle` account `bridge-<id>` per vehicle with a fresh random password (set anew
    when the account exists), for a server and its onboard nodes started together."""
    from web.auth.roles import Role
    from web.auth.store import UnknownUser

    out: dict[str, VehicleCredential] = {}
    for vehicle in vehicle_ids:
        username, password = f"bridge-{vehicle}", secrets.token_urlsafe(18)
        try:
            auth.update_user(username, password=password)
        except UnknownUser:
            auth.create_user(username, password, Role.VEHICLE, None, vehicle_id=vehicle)
        out[vehicle] = VehicleCredential(username=username, password=password)
    return out
