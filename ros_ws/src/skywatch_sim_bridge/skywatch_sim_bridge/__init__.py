"""Camera bridge from the built-in simulator to ROS 2 (`bridge_node`; messages in `messages`)."""
