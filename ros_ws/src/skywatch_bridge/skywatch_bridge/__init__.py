"""The vehicle's uplink to the ground server: `outbox` (the queue on disk), `client` (HTTP with
the vehicle's credential), `sender` (retries with backoff), `items` (ROS messages to API items)
and `uplink_node` (the rclpy node tying them together)."""
