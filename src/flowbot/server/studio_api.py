"""The studio's routes (docs/studio.md): its pages, and its JSON API under the API or studio key.

The pages are the SPA built into `static/studio/` (`make studio`): the same
`index.html` for every studio path (503 saying how to build it when it is
missing) and its hashed assets, cached for good. They need no key: the SPA
asks for one and sends it with every call.

The JSON routes are the `studio_group`'s (the API key or the studio key);
the work is `flowbot.studio`'s, the saving `flowbot.server.keeper`'s (the
same as `PUT /api/bots/{id}`'s).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from flowbot.channels import CHANNELS
from flowbot.channels.fitting import constant_time_equal
from flowbot.engine import Program
from flowbot.format import export_bot
from flowbot.server import studio_models as models
from flowbot.server.api import MAX_BOT_BYTES, compile_import
from flowbot.server.api_models import answer, read_model
from flowbot.server.context import ServerContext
from flowbot.server.errors import Refusal
from flowbot.server.http import BadJSON, BodyTooLarge, read_json
from flowbot.server.keeper import bot_keeper
from flowbot.server.studio_models import author, if_match, kept_answer, studio_group
from flowbot.server.studio_openapi import CHANNELS_PATTERN
from flowbot.studio.checks import check_draft, check_template
from flowbot.studio.imports import merge_flows
from flowbot.studio.preview import PreviewError, run_preview
from flowbot.studio.stats import bot_stats
from flowbot.studio.testfile import conversation_test_yaml
from flowbot.studio.versions import revision_of

__all__ = ["studio_routes"]

NOT_BUILT = (
    "<!doctype html><meta charset=utf-8><title>flowbot studio</title>"
    "<h1>The studio is not built</h1><p>the studio is not built: run <code>make studio</code>"
    " (it builds studio/ into src/flowbot/server/static/studio/).</p>"
)
IMMUTABLE = "public, max-age=31536000, immutable"
MAX_STATS_DAYS = 366
# compiled drafts, by revision: a preview conversation sends the same draft each turn
DRAFTS_KEPT = 8
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def studio_routes(ctx: ServerContext) -> list[BaseRoute]:
    settings = ctx.settings
    keeper = bot_keeper(ctx)
    group = studio_group(settings)
    studio_dir = ctx.static_dir / "studio"
    drafts: OrderedDict[str, Program] = OrderedDict()

    def running(bot_id: str) -> Program:
        program = ctx.bots.get(bot_id)
        if program is None:
            raise Refusal(404, f"no bot {bot_id!r}")
        return program

    def draft_program(bot_id: str, draft: dict[str, Any] | None) -> Program:
        if draft is None:
            return running(bot_id)
        revision = revision_of(draft)
        program = drafts.get(revision)
        if program is None:
            _, program = compile_import(bot_id, draft)
            drafts[revision] = program
            if len(drafts) > DRAFTS_KEPT:
                drafts.popitem(last=False)
        drafts.move_to_end(revision)
        return program

    # --- pages -------------------------------------------------------------------

    async def page(request: Request) -> Response:
        index = studio_dir / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, 503, headers={"Cache-Control": "no-store"})
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    async def asset(request: Request) -> Response:
        assets = (studio_dir / "assets").resolve()
        wanted = (assets / request.path_params["path"]).resolve()
        if not wanted.is_relative_to(assets) or not wanted.is_file():
            return Response("Not Found", 404, media_type="text/plain")
        return FileResponse(wanted, headers={"Cache-Control": IMMUTABLE})

    # --- session and versions ------------------------------------------------------

    async def session(request: Request) -> Response:
        given = _given_key(request.headers)
        studio_key = settings.studio_key
        is_api = settings.api_key is not None and constant_time_equal(settings.api_key, given)
        user = "studio" if not is_api and studio_key else "api"
        return answer(models.StudioSession(ok=True, user=user))

    async def list_versions(request: Request) -> Response:
        bot_id = request.path_params["bot_id"]
        program = running(bot_id)
        await keeper.start_versions(bot_id)
        versions = await ctx.store.list_bot_versions(bot_id)
        listed = [
            models.VersionSummary(
                number=v.number,
                author=v.author,
                at=v.created_at.isoformat(),
                revision=v.revision,
                flows=v.flows,
                nodes=v.nodes,
            )
            for v in versions
        ]
        current = keeper.versions.revision(bot_id, program)
        return answer(models.VersionList(versions=listed, current=current))

    async def stored_version(bot_id: str, number_text: str) -> dict[str, Any]:
        running(bot_id)
        await keeper.start_versions(bot_id)
        number = int(number_text) if re.fullmatch(r"[0-9]{1,9}", number_text) else 0
        version = await ctx.store.get_bot_version(bot_id, number) if number else None
        if version is None or version.bot is None:
            raise Refusal(404, f"bot {bot_id!r} has no version {number_text[:20]!r}")
        return version.bot

    async def get_version(request: Request) -> Response:
        bot_id, number = request.path_params["bot_id"], request.path_params["number"]
        bot = await stored_version(bot_id, number)
        headers = {}
        download = request.query_params.get("download")
        if download not in (None, "0", "1"):
            raise Refusal(422, "download: 0 or 1")
        if download == "1":
            filename = f"{bot_id}-v{int(number)}.json"
            headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        return JSONResponse(bot, headers=headers)

    async def rollback(request: Request) -> Response:
        bot_id, number = request.path_params["bot_id"], request.path_params["number"]
        data = await stored_version(bot_id, number)
        bot, program = compile_import(bot_id, data)
        kept = await keeper.keep(
            bot_id, bot, program, expected=if_match(request), author=author(request)
        )
        return kept_answer(bot_id, kept)

    async def import_flows(request: Request) -> Response:
        bot_id = request.path_params["bot_id"]
        body = await read_model(request, models.FlowImport, MAX_BOT_BYTES)
        current = running(bot_id)
        try:
            merged, imported = merge_flows(export_bot(current.bot), body.data, body.mode)
        except ValueError as error:
            raise Refusal(422, str(error)) from None
        bot, program = compile_import(bot_id, merged)
        kept = await keeper.keep(
            bot_id, bot, program, expected=if_match(request), author=author(request)
        )
        return kept_answer(bot_id, kept, {"imported": imported})

    # --- drafts ----------------------------------------------------------------------

    async def validate(request: Request) -> Response:
        bot_id = request.path_params["bot_id"]
        running(bot_id)
        data = await _json_body(request)
        problems = check_draft(data, f"draft:{bot_id}", _channels(ctx, bot_id, request))
        return answer(models.DraftProblems.model_validate({"problems": problems}))

    async def template_check(request: Request) -> Response:
        body = await read_model(request, models.TemplateCheck, 1024 * 1024)
        return answer(models.TemplateChecked.model_validate(check_template(body.template)))

    async def preview(request: Request) -> Response:
        bot_id = request.path_params["bot_id"]
        body = await read_model(request, models.PreviewRequest, MAX_BOT_BYTES)
        program = draft_program(bot_id, body.bot)
        message = body.message.model_dump(by_alias=True, exclude_none=True)
        try:
            turn = await run_preview(program, body.session, message, ctx.service.ports)
        except PreviewError as error:
            raise Refusal(422, str(error)) from None
        answered = {
            "replies": turn.answer["replies"],
            "quickReplies": turn.answer["quickReplies"],
            "session": turn.session,
            "turn": turn.turn,
        }
        return answer(models.PreviewAnswer.model_validate(answered))

    async def preview_test(request: Request) -> Response:
        bot_id = request.path_params["bot_id"]
        body = await read_model(request, models.PreviewTestRequest, MAX_BOT_BYTES)
        program = draft_program(bot_id, body.bot)
        turns = [turn.model_dump(by_alias=True, exclude_none=True) for turn in body.turns]
        bot_path = body.bot_path or _bot_file_name(ctx, bot_id)
        try:
            text = await conversation_test_yaml(
                program, body.name, bot_path, turns, ctx.service.ports
            )
        except PreviewError as error:
            raise Refusal(422, str(error)) from None
        return answer(models.PreviewTest(yaml=text))

    # --- statistics --------------------------------------------------------------------

    async def stats(request: Request) -> Response:
        bot_id = request.path_params["bot_id"]
        running(bot_id)
        today = datetime.now(UTC).date()
        last = _date(request, "to", today)
        first = _date(request, "from", last - timedelta(days=29))
        if first > last:
            raise Refusal(422, "from: a day after to")
        if (last - first).days >= MAX_STATS_DAYS:
            raise Refusal(422, f"at most {MAX_STATS_DAYS} days at once")
        counted = await bot_stats(ctx.store, bot_id, first, last)
        return answer(models.Stats.model_validate(counted))

    bot = "/api/bots/{bot_id}"
    return [
        Route("/studio", page, methods=["GET"]),
        Route("/studio/assets/{path:path}", asset, methods=["GET"]),
        Route("/studio/{bot_id}", page, methods=["GET"]),
        Route("/studio/{bot_id}/flows/{flow_id}", page, methods=["GET"]),
        Route("/api/studio/session", session, methods=["GET"], middleware=group),
        Route("/api/templates/check", template_check, methods=["POST"], middleware=group),
        Route(f"{bot}/versions", list_versions, methods=["GET"], middleware=group),
        Route(f"{bot}/versions/{{number}}", get_version, methods=["GET"], middleware=group),
        Route(f"{bot}/versions/{{number}}/rollback", rollback, methods=["POST"], middleware=group),
        Route(f"{bot}/flows/import", import_flows, methods=["POST"], middleware=group),
        Route(f"{bot}/validate", validate, methods=["POST"], middleware=group),
        Route(f"{bot}/preview", preview, methods=["POST"], middleware=group),
        Route(f"{bot}/preview/test", preview_test, methods=["POST"], middleware=group),
        Route(f"{bot}/stats", stats, methods=["GET"], middleware=group),
    ]


def _given_key(headers: Headers) -> str:
    given = headers.get("x-api-key")
    if given is None:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        given = value.strip() if scheme.lower() == "bearer" else ""
    return given


async def _json_body(request: Request) -> Any:
    try:
        data = await read_json(request, MAX_BOT_BYTES)
    except BodyTooLarge:
        raise Refusal(413, f"the body is over {MAX_BOT_BYTES} bytes") from None
    except BadJSON as error:
        raise Refusal(400, str(error)) from None
    if not isinstance(data, dict):
        raise Refusal(422, "a bot is a JSON object")
    return data


def _channels(ctx: ServerContext, bot_id: str, request: Request) -> list[str]:
    """The channels to check: ?channels=all|a,b, else the web and the bot's configured ones."""
    asked = request.query_params.get("channels")
    if asked == "all":
        return list(CHANNELS)
    if asked is not None:
        if not re.fullmatch(CHANNELS_PATTERN, asked):
            raise Refusal(422, f"channels: all, or names from {', '.join(CHANNELS)}")
        return list(dict.fromkeys(asked.split(",")))
    names = ["web"]
    for source in ctx.settings.bots:
        if source.bot_id == bot_id:
            names.extend(name for name in source.channels if name not in names)
    names.extend(name for name in ctx.settings.channels if name in CHANNELS and name not in names)
    return names


def _bot_file_name(ctx: ServerContext, bot_id: str) -> str:
    loaded = ctx.bots.entry(bot_id)
    path: Path | None = None if loaded is None else loaded.path
    return path.name if path is not None else f"{bot_id}.json"


def _date(request: Request, name: str, default: date) -> date:
    value = request.query_params.get(name)
    if value is None:
        return default
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise Refusal(422, f"{name}: expected a day as YYYY-MM-DD, got {value[:20]!r}") from None
