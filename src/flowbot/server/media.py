"""A bot's own images and other media, served read-only: `GET /media/{botId}/{path}`.

Where a bot's media folder is:

* a bot FILE `dir/name.yaml` (or `.json`, `.bot.json`, `.yml`…) ships `dir/name.media/`,
  `name` being the file name without its bot suffix (what `bot_id_of` strips);
* a bot FOLDER `dir/name/` ships `dir/name/media/` (the folder loader reads
  only the folder's own files, so the subfolder is never taken for flows).

The folders are looked up when the app is built (`media_routes`, from
`ctx.settings.bots`): a bot without one has no media route, and
`/media/{botId}/…` answers 404. Bot files point at their media with a
root-relative URI, `/media/pokemon/bulbasaur.svg`; the web widget resolves such
URIs against the flowbot server it was loaded from, not the host page
(docs/widget.md). Messengers need public https URLs: their renderers drop or
degrade a root-relative image.

One route serves them all; under it, Starlette's `StaticFiles`, one per bot,
with these rules on top:
only regular files inside the folder (symlinks may not lead out of it; no
directory listing, no index files), no hidden names (a path segment starting
with "."), GET and HEAD only; every answer carries `Cache-Control`, and the
files are sent with `nosniff` and a sandboxing Content-Security-Policy, so an
SVG opened directly runs no script on the server's origin.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path, PurePath

from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Receive, Scope, Send

from flowbot.config import BotSource, bot_id_of
from flowbot.server.context import ServerContext

__all__ = ["MEDIA_CACHE_CONTROL", "MEDIA_PREFIX", "MediaFiles", "media_folder", "media_routes"]

logger = logging.getLogger("flowbot.server")

MEDIA_PREFIX = "/media"
# An hour: an edited image shows within the hour; ETag and Last-Modified make
# the browser's revalidation cheap (304).
MEDIA_CACHE_CONTROL = "public, max-age=3600"
MEDIA_HEADERS = {
    "Cache-Control": MEDIA_CACHE_CONTROL,
    "X-Content-Type-Options": "nosniff",
    # A file opened on its own (an SVG, an HTML file) is an inert document.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    # The widget shows these images on other sites' pages.
    "Cross-Origin-Resource-Policy": "cross-origin",
}
FOLDER_NAME = "media"
FILE_SUFFIX = ".media"


def media_folder(path: Path) -> Path:
    """Where the bot at `path` (a bot file or a bot folder) keeps its media; may not exist."""
    if path.is_dir():
        return path / FOLDER_NAME
    return path.parent / f"{bot_id_of(path)}{FILE_SUFFIX}"


class MediaFiles(StaticFiles):
    """StaticFiles for one bot's media folder: regular, visible files only, with headers."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, html=False, follow_symlink=False)

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        # `path` is normalised already ("a/../b" → "b"; a way out starts with "..").
        if any(part.startswith(".") for part in PurePath(path).parts):
            return "", None
        try:
            full_path, stat_result = super().lookup_path(path)
        except PermissionError:
            return "", None
        if stat_result is not None and not os.access(full_path, os.R_OK):
            return "", None
        return full_path, stat_result

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        if isinstance(response, NotModifiedResponse):
            response.headers["Cache-Control"] = MEDIA_CACHE_CONTROL
        else:
            response.headers.update(MEDIA_HEADERS)
        return response


class _MediaEndpoint:
    """`GET /media/{bot_id}/{path}`: the file `path` of that bot's media folder, or 404."""

    def __init__(self, files: Mapping[str, MediaFiles]) -> None:
        self.files = files

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        params = scope["path_params"]
        files = self.files.get(params["bot_id"])
        response: Response
        if files is None:
            response = PlainTextResponse("Not Found", status_code=404)
        else:
            # as StaticFiles.get_path does: "." and ".." segments resolved, OS separators
            path = os.path.normpath(os.path.join("", *params["path"].split("/")))
            try:
                response = await files.get_response(path, scope)
            except HTTPException as error:
                response = PlainTextResponse(
                    error.detail, status_code=error.status_code, headers=error.headers
                )
        await response(scope, receive, send)


def _bot_media(bot: BotSource) -> Path | None:
    folder = media_folder(bot.path)
    if not folder.is_dir():
        return None
    return folder.resolve()


def media_routes(ctx: ServerContext) -> list[BaseRoute]:
    """`GET /media/{botId}/{path}` for the bots of `ctx.settings` that ship a media folder."""
    files: dict[str, MediaFiles] = {}
    for bot in ctx.settings.bots:
        folder = _bot_media(bot)
        if folder is None:
            continue
        logger.info("bot %s: serving %s at %s/%s/", bot.bot_id, folder, MEDIA_PREFIX, bot.bot_id)
        files[bot.bot_id] = MediaFiles(folder)
    return [
        Route(f"{MEDIA_PREFIX}/{{bot_id}}/{{path:path}}", _MediaEndpoint(files), methods=["GET"])
    ]
