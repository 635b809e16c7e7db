"""The console and the API docs are served from this server alone: no CDN, no tile server."""

from __future__ import annotations

import re

import httpx

from tests.web.server_harness import RunningServer


async def test_console_docs_and_their_assets_come_from_this_server(
    empty_fleet_server: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=empty_fleet_server.http_url) as http:
        pages = {path: await http.get(path) for path in ("/", "/docs", "/openapi.json")}
        assert all(r.status_code == 200 for r in pages.values())
        html = pages["/"].text + pages["/docs"].text
        assets = re.findall(r'(?:src|href)="(/[^"]+)"', html)
        assert "/static/vendor/leaflet/leaflet.css" in assets
        assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets
        for asset in assets:
            response = await http.get(asset)
            assert response.status_code == 200, asset
        assert not re.search(r'(?:src|href)="(?:https?:)?//', html)  # nothing from elsewhere
        module = (await http.get("/static/console.js")).text
        for imported in re.findall(r"from '(/static/[^']+)'", module):
            assert (await http.get(imported)).status_code == 200, imported
        paths = set(pages["/openapi.json"].json()["paths"])
        assert {"/api/health", "/api/vehicles", "/api/vehicles/{vehicle_id}",
                "/api/vehicles/{vehicle_id}/commands", "/api/events"} <= paths
