"""Pure mission planning: geodesy, patterns, validation and plan formats.

No I/O and no imports of `fleet`, `web`, `sim` or any network stack, so that planning gives
the same answer in the server, in the console's preview and in a developer's notebook.

- `geodesy`: WGS84 ⇄ local ENU (pymap3d), distance, bearing, polygon area.
- `camera`: GSD, footprint, line spacing, trigger distance; a table of drone cameras.
- `items`, `plan`: typed mission items (a tagged union) and the versioned plan document.
- `survey` (ENU core) and `area_survey` (on the globe): grid, double grid, oblique.
- `search`: IAMSAR expanding square, sector, parallel track, creeping line; PoD.
- `orbit`, `corridor`, `perimeter`: evidence orbits, corridor scans, patrols, facade scans.
- `transit`, `route`: shortest paths around exclusion zones.
- `split`: an area shared between vehicles; `energy`: flight time, battery, sorties.
- `validation`: every problem of a plan or polygon, with field and reason.
- `formats`: QGroundControl `.plan`, `QGC WPL 110`, GeoJSON, KML/KMZ, MISSION_ITEM_INT.
- `cli`: `skywatch plan …` (the one module here that reads and writes files).
"""
