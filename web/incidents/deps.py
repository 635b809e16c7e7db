"""The supervisor the incident, mission and dock handlers act through (kept on `app.state`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.requests import HTTPConnection

from fleet.lifecycle import IllegalTransition
from fleet.supervisor import CommandRefused, NotFound, Supervisor


def get_supervisor(conn: HTTPConnection) -> Supervisor:
    supervisor: Supervisor = conn.app.state.supervisor
    return supervisor


SupervisorDep = Annotated[Supervisor, Depends(get_supervisor)]


@contextmanager
def refusals_as_http() -> Iterator[None]:
    """Supervision's refusals as HTTP answers: an unknown id 404; a move the state table
    forbids, or a vehicle's refusal, 409; the reason in `detail` either way."""
    try:
        yield
    except NotFound as e:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(e)) from e
    except (IllegalTransition, CommandRefused) as e:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(e)) from e
