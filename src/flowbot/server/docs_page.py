"""`/api/docs`: the API's interactive reference, Swagger UI on /api/openapi.json.

Everything the page loads is served from the package, never from a CDN: the
reference works offline and behind a firewall, and a browser that opens it
asks no other host for anything. Swagger UI is vendored from npm's
`swagger-ui-dist` (static/swagger-ui/: the bundle and its stylesheet, with
their LICENSE, NOTICE and package.json; README.md there says how to update
it); static/api-docs.js starts it on this server's document, and
static/api-docs.css fits it to a phone's width.

The assets' URLs carry a digest of their content
(`/api/docs/assets/<digest>/<name>`), so a browser may keep them for a year;
they are sent gzipped to a client that takes it (the bundle is 1.7 MB, 0.46 MB
gzipped). Public, like the document itself: neither holds a secret.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import hashlib
import html
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

__all__ = ["ASSETS", "SWAGGER_UI_DIR", "docs_routes", "swagger_ui_version"]

logger = logging.getLogger("flowbot.server")

STATIC = Path(__file__).resolve().parent / "static"
SWAGGER_UI_DIR = STATIC / "swagger-ui"
JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
# name in the URL: (file, media type)
ASSETS = {
    "swagger-ui-bundle.js": (SWAGGER_UI_DIR / "swagger-ui-bundle.js", JS),
    "swagger-ui.css": (SWAGGER_UI_DIR / "swagger-ui.css", CSS),
    "api-docs.js": (STATIC / "api-docs.js", JS),
    "api-docs.css": (STATIC / "api-docs.css", CSS),
}
FOREVER = {"Cache-Control": "public, max-age=31536000, immutable"}


@dataclass(frozen=True, slots=True)
class _Asset:
    body: bytes
    gzipped: bytes
    digest: str
    media_type: str


@functools.cache
def _asset(name: str) -> _Asset | None:
    path, media_type = ASSETS[name]
    try:
        body = path.read_bytes()
    except OSError as error:
        logger.error("the API reference's %s is missing: %s", path, error)
        return None
    digest = hashlib.sha256(body).hexdigest()[:16]
    return _Asset(body, gzip.compress(body, 9, mtime=0), digest, media_type)


def _assets() -> dict[str, _Asset | None]:
    return {name: _asset(name) for name in ASSETS}


def swagger_ui_version() -> str:
    """The vendored Swagger UI's version (its package.json)."""
    data = json.loads((SWAGGER_UI_DIR / "package.json").read_text(encoding="utf-8"))
    return str(data["version"])


def docs_page(assets: dict[str, _Asset | None]) -> str:
    def url(name: str) -> str:
        asset = assets[name]
        # relative: the page works under a path prefix too (a reverse proxy's)
        return f"docs/assets/{asset.digest if asset else 'missing'}/{name}"

    missing = [name for name, asset in assets.items() if asset is None]
    note = (
        f"<p class='docs-missing'>This server lacks {html.escape(', '.join(missing))}: "
        "reinstall flowbot.</p>"
        if missing
        else ""
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>flowbot API</title>"
        f"<link rel='stylesheet' href='{url('swagger-ui.css')}'>"
        f"<link rel='stylesheet' href='{url('api-docs.css')}'>"
        "</head><body>"
        f"{note}<noscript><p>This reference needs JavaScript. The API's OpenAPI 3.1 document "
        "is <a href='openapi.json'>/api/openapi.json</a>.</p></noscript>"
        "<div id='swagger-ui' data-openapi='openapi.json'></div>"
        f"<script src='{url('swagger-ui-bundle.js')}'></script>"
        f"<script src='{url('api-docs.js')}'></script>"
        "</body></html>"
    )


def _takes_gzip(accept_encoding: str) -> bool:
    for part in accept_encoding.split(","):
        coding, _, params = part.partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def docs_routes() -> list[BaseRoute]:
    async def page(request: Request) -> Response:
        assets = await asyncio.to_thread(_assets)
        return HTMLResponse(docs_page(assets), headers={"Cache-Control": "no-cache"})

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        found = await asyncio.to_thread(_asset, name) if name in ASSETS else None
        if found is None or request.path_params["digest"] != found.digest:
            return PlainTextResponse("Not Found", status_code=404)
        headers = {**FOREVER, "Vary": "Accept-Encoding"}
        if _takes_gzip(request.headers.get("accept-encoding", "")):
            headers["Content-Encoding"] = "gzip"
            return Response(found.gzipped, media_type=found.media_type, headers=headers)
        return Response(found.body, media_type=found.media_type, headers=headers)

    return [
        Route("/api/docs", page, methods=["GET"]),
        Route("/api/docs/assets/{digest}/{name}", asset, methods=["GET"]),
    ]
