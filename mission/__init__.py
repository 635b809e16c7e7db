"""Pure mission planning: geodesy, patterns, validation and plan formats.

No I/O and no imports of `fleet`, `web`, `sim` or any network stack, so that planning gives
the same answer in the server, in the console's preview and in a developer's notebook.
"""
