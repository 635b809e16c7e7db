"""ament_python package: installed into the venv by scripts/build_ros.sh with pip."""

from setuptools import setup

PACKAGE = "skywatch_bridge"

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=[PACKAGE],
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
    ],
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            f"skywatch_uplink = {PACKAGE}.uplink_node:main",
        ],
    },
)
