"""HTTP to the ground server with the vehicle's credential (a `vehicle` account).

Signs in with user name and password at `/api/auth/token` and signs in again when the access
token expires (a 401), so a bridge runs for days without help. Answers are sorted into what
the sender acts on: `LinkDown` (no answer, 5xx, 429: try again later) and `Refused` (the server
will not take it; `item` says which one when a 422 points at it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

BATCH_PATH = "/api/detections"
PREVIEW_PATH = "/api/vehicles/{vehicle_id}/camera"
TOKEN_PATH = "/api/auth/token"


class LinkDown(Exception):
    """No usable answer now; `retry_after_s` when the server said when to come back."""

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class Refused(Exception):
    """The server answered no; `item` is (list name, index) when one item is to blame."""

    def __init__(self, status: int, reason: str, item: tuple[str, int] | None = None) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason
        self.item = item


@dataclass(frozen=True, kw_only=True, slots=True)
class Acknowledged:
    stored: list[str]
    duplicates: list[str]


class GroundClient:
    def __init__(self, server_url: str, username: str, password: str,
                 timeout_s: float = 5.0) -> None:
        self._http = httpx.Client(base_url=server_url, timeout=timeout_s)
        self._username = username
        self._password = password
        self._token: str | None = None

    def close(self) -> None:
        self._http.close()

    def post_batch(self, detections: list[dict[str, Any]],
                   objects: list[dict[str, Any]]) -> Acknowledged:
        answer = self._post_signed_in(BATCH_PATH, {"detections": detections, "objects": objects})
        if answer.status_code == 200:
            data = answer.json()
            return Acknowledged(stored=list(data["stored"]), duplicates=list(data["duplicates"]))
        raise _failure(answer)

    def post_preview(self, vehicle_id: str, body: dict[str, Any]) -> None:
        """One camera preview frame; raises as `post_batch` does."""
        answer = self._post_signed_in(PREVIEW_PATH.format(vehicle_id=vehicle_id), body)
        if answer.status_code != 202:
            raise _failure(answer)

    def _post_signed_in(self, path: str, body: dict[str, Any]) -> httpx.Response:
        answer = self._post(path, body)
        if answer.status_code == 401:  # expired or revoked: one fresh sign-in, then give up
            self._token = None
            answer = self._post(path, body)
        return answer

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        if self._token is None:
            self._sign_in()
        try:
            return self._http.post(path, json=body,
                                   headers={"Authorization": f"Bearer {self._token}"})
        except httpx.TransportError as e:
            raise LinkDown(f"{type(e).__name__}: {e}") from e

    def _sign_in(self) -> None:
        try:
            answer = self._http.post(TOKEN_PATH, data={"username": self._username,
                                                       "password": self._password})
        except httpx.TransportError as e:
            raise LinkDown(f"{type(e).__name__}: {e}") from e
        if answer.status_code != 200:
            failure = _failure(answer)
            if isinstance(failure, Refused):
                raise Refused(failure.status, f"sign-in as {self._username!r} refused: "
                                              f"{failure.reason}")
            raise failure
        self._token = str(answer.json()["access_token"])


def _failure(answer: httpx.Response) -> LinkDown | Refused:
    detail = _detail(answer)
    if answer.status_code == 429 or answer.status_code >= 500:
        retry = answer.headers.get("Retry-After")
        return LinkDown(f"{answer.status_code}: {detail}",
                        float(retry) if retry and retry.isdigit() else None)
    item = None
    if answer.status_code == 422 and isinstance(detail, list) and detail:
        loc = detail[0].get("loc", [])
        if len(loc) >= 3 and loc[0] == "body" and isinstance(loc[2], int):
            item = (str(loc[1]), int(loc[2]))
        detail = f"{'.'.join(map(str, loc[1:]))}: {detail[0].get('msg')}"
    return Refused(answer.status_code, str(detail), item)


def _detail(answer: httpx.Response) -> Any:
    try:
        return answer.json().get("detail", answer.text)
    except ValueError:
        return answer.text
