"""The built-in simulator: vehicles that speak MAVLink from their own UDP ports, like PX4 SITL.

A black box to the rest of Skywatch: reached only over MAVLink (and ROS 2 for cameras).
Imports `mission` (geodesy) only; never `fleet`, `web` or `perception`.
"""
