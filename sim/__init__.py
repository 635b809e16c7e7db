"""The built-in simulator: vehicles that speak MAVLink from their own UDP ports, like PX4 SITL.

A black box to the rest of Skywatch: reached only over MAVLink (and ROS 2 for cameras).
Imports `mission` (geodesy) only; never `fleet`, `web` or `perception`.

Pure parts, tested without sockets or clocks: `geo` (local metres), `dynamics` (point-mass
multicopter and rover), `battery`, `failsafe` (decisions), `fence` (geometry),
`mission_executor`, `rtl`, `streams` (when telemetry is due), `params`, `payload`, and
`autopilot`, which puts them together into PX4's modes and commands. The MAVLink shell is
`endpoint` (one UDP socket per vehicle), `commands` (command numbers → autopilot calls),
`mission_protocol`, `telemetry` (message builders) and `runner` (the one-thread loop);
`cli` is `skywatch sim` / `python -m sim`.
"""
