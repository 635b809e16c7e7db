"""The ground server's core: vehicle registry, links (MAVSDK, pymavlink), dispatch, store, events.

Imports `mission` only; never `web`, `sim` or rclpy.
"""
