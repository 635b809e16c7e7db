"""ament_python package: installed into the venv with pip like skywatch_perception."""

from setuptools import setup

PACKAGE = "skywatch_sim_bridge"

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
            f"skywatch_sim_bridge = {PACKAGE}.bridge_node:main",
        ],
    },
)
