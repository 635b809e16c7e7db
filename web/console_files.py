"""Serve the console: plain JS modules from `web/console/static`, Leaflet from npm's copy.

Nothing is fetched from a CDN, so the console works on a machine with no internet, which is
where a command post may well be.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

CONSOLE_DIR = Path(__file__).with_name("console")
STATIC_DIR = CONSOLE_DIR / "static"
LEAFLET_DIR = CONSOLE_DIR / "node_modules" / "leaflet" / "dist"

log = logging.getLogger(__name__)


def mount_console(app: FastAPI) -> None:
    if LEAFLET_DIR.is_dir():
        app.mount("/static/vendor/leaflet", StaticFiles(directory=LEAFLET_DIR), name="leaflet")
    else:
        log.warning("Leaflet not found at %s: run `npm ci` in web/console", LEAFLET_DIR)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    async def console() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")
