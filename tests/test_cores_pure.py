"""The pure cores (`mission`, `perception`) must import with no shell installed."""

import subprocess
import sys

SHELLS = ("rclpy", "mavsdk", "pymavlink", "fastapi", "sqlalchemy", "uvicorn", "websockets")


def test_cores_import_without_shells() -> None:
    # A None entry in sys.modules makes `import X` raise ImportError, as if X were not installed.
    code = (
        f"import sys; sys.modules.update(dict.fromkeys({SHELLS!r})); "
        "import mission, perception, pkgutil, importlib\n"
        "for pkg in (mission, perception):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cli_lists_subcommands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "skywatch", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "Usage" in out
