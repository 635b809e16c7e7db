"""A real ground server (`skywatch serve`) in a subprocess, for the onboard tests: stoppable
and restartable on the same port and data dir, as a link cut or a server restart would be."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from web.auth.bootstrap import open_auth, open_store
from web.auth.roles import Role
from web.settings import Settings

PASSWORD = "kestrel over the reservoir 42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class GroundServer:
    def __init__(self, data_dir: Path, log_path: Path) -> None:
        self.data_dir = data_dir
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.fleet_file = data_dir / "fleet.yaml"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.fleet_file.write_text("version: 1\nvehicles: []\n")
        self.proc: subprocess.Popen[bytes] | None = None
        self._headers: dict[str, dict[str, str]] = {}

    def add_account(self, username: str, role: Role, vehicle_id: str | None = None) -> None:
        """Straight into the server's store, as `POST /api/users` would (server stopped)."""
        settings = Settings(data_dir=self.data_dir)
        engine = open_store(settings)
        try:
            open_auth(settings, engine).create_user(username, PASSWORD, role, None,
                                                    vehicle_id=vehicle_id)
        finally:
            engine.dispose()

    def start(self, timeout_s: float = 30.0) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(Path(sys.prefix) / "bin" / "skywatch"), "serve", "--fleet",
                 str(self.fleet_file), "--port", str(self.port), "--data-dir",
                 str(self.data_dir)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"server did not start: {self.log_path.read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(2)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def get(self, path: str, username: str) -> Any:
        """GET as `username` (signed in on first use; tokens outlive a restart)."""
        if username not in self._headers:
            token = httpx.post(f"{self.url}/api/auth/token",
                               data={"username": username, "password": PASSWORD}, timeout=10)
            self._headers[username] = {
                "Authorization": f"Bearer {token.json()['access_token']}"}
        answer = httpx.get(f"{self.url}{path}", headers=self._headers[username], timeout=10)
        answer.raise_for_status()
        return answer.json()

    def all_events(self, username: str, kind: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        since = 0
        while page := self.get(f"/api/events?since={since}&limit=1000", username):
            out += [e for e in page if e["type"] == kind]
            since = page[-1]["seq"]
        return out
