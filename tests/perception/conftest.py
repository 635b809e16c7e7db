"""Shared fixtures: the real dev sets (skipped cleanly where they are not installed)."""

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "perception"
if not FIXTURES.is_dir():
    FIXTURES = Path("/work/shared/fixtures/perception")


def fixture_set(name: str) -> Path:
    path = FIXTURES / name
    if not (path / "data.yaml").is_file():
        pytest.skip(f"dev set {name} not installed at {path}")
    return path


@pytest.fixture(scope="session")
def hituav_dev() -> Path:
    return fixture_set("hituav_dev")


@pytest.fixture(scope="session")
def fire_dev() -> Path:
    return fixture_set("fire_dev")
