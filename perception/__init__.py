"""Pure computer vision: detectors, pixel-to-ground geolocation, tracking, evaluation.

No rclpy, no sockets: the onboard ROS 2 nodes are thin shells around these functions, so the
maths is tested on plain arrays.
"""
