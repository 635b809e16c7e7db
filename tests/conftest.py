"""Shared pytest fixtures. Keep each one small and generic; package-specific helpers live in
their own harness modules (tests/sim_harness.py, tests/postgres_harness.py, ...)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sim_harness import SimHandle, start_sim


@pytest.fixture
def sim_factory(tmp_path: Path) -> Iterator[Callable[..., SimHandle]]:
    """`sim_factory(vehicles=3, rovers=0, speedup=10.0, world=None)` starts a simulator;
    every simulator started is stopped when the test ends."""
    with contextlib.ExitStack() as stack:

        def start(**kwargs: Any) -> SimHandle:
            return stack.enter_context(start_sim(tmp_path, **kwargs))

        yield start
