"""Live camera previews: onboard bridges post small JPEGs, consoles read the latest one."""
