"""OpenAPI docs at `/docs`, with Swagger UI served from npm's copy instead of a CDN.

FastAPI's default page loads Swagger UI from jsDelivr; a command post without internet would
get a blank page. The assets come from `web/console/node_modules/swagger-ui-dist`.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from web.console_files import CONSOLE_DIR

SWAGGER_DIR = CONSOLE_DIR / "node_modules" / "swagger-ui-dist"
SWAGGER_URL = "/static/vendor/swagger-ui"


def mount_docs(app: FastAPI) -> None:
    if SWAGGER_DIR.is_dir():
        app.mount(SWAGGER_URL, StaticFiles(directory=SWAGGER_DIR), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: API",
            swagger_js_url=f"{SWAGGER_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_URL}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_URL}/favicon-32x32.png",
        )
