"""Onboard ROS 2 nodes around `perception/`: `detector_node` (frames to detections) and
`geolocator_node` (detections, pose and intrinsics to tracked ground objects)."""
