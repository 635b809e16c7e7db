"""Detections and tracked objects posted by the vehicles' onboard bridges (`/api/detections`)."""
