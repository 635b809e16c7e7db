"""ament_python package: installed into the venv by scripts/build_ros.sh with pip."""

from setuptools import setup

PACKAGE = "skywatch_perception"

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
            f"skywatch_detector = {PACKAGE}.detector_node:main",
            f"skywatch_geolocator = {PACKAGE}.geolocator_node:main",
        ],
    },
)
