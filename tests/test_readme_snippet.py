"""The README's pymavlink snippet runs as written against the built-in simulator."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sim_harness import start_sim

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_python_snippet() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    (snippet,) = [b for b in blocks if "mavutil.mavlink_connection" in b]
    return snippet


@pytest.mark.e2e
def test_readme_pymavlink_snippet_arms_and_takes_off(tmp_path: Path) -> None:
    snippet = readme_python_snippet()
    assert '"udpin:0.0.0.0:14540"' in snippet
    with start_sim(tmp_path, vehicles=1, speedup=5.0) as sim:
        # Only the port changes, so that parallel test runs never share one.
        code = snippet.replace("14540", str(sim.base_port))
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
        )
    assert run.returncode == 0, run.stderr
    assert "heartbeat from system 1" in run.stdout
    altitude_m = float(re.search(r"airborne: ([\d.]+) m", run.stdout).group(1))
    assert altitude_m >= 2.0
