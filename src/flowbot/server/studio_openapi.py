"""The studio's operations in the OpenAPI document (`flowbot.server.openapi`; docs/studio.md).

Listed like the API's: each route and method, its models
(`flowbot.server.studio_models`) and every status it answers.
"""

from __future__ import annotations

from typing import Any

from flowbot.channels import CHANNELS
from flowbot.format.models import Bot
from flowbot.server import api_models as m
from flowbot.server import studio_models as s
from flowbot.server.openapi import (
    _API_SECURITY,
    _BOT_ID,
    _NOT_JSON,
    AUTHOR,
    IF_MATCH,
    REVISION_HEADER,
    STALE_REVISION,
    Answer,
    Operation,
    Param,
    _error,
)

__all__ = ["CHANNELS_PATTERN", "STUDIO_OPERATIONS"]

_NAMES = "|".join(CHANNELS)
# ?channels=: all, or a comma list of channel names
CHANNELS_PATTERN = f"^(all|({_NAMES})(,({_NAMES}))*)$"
_NO_BOT = _error("No such bot")
_TOO_LARGE = _error("The body is over 20 MiB")
_NUMBER = Param(
    "number", "path", {"type": "integer", "minimum": 1}, "A version's number", required=True
)
_UNKEPT = {
    409: _error("The bot's file or folder cannot be written: the running bot is unchanged"),
    503: _error("The database did not keep the bot: the running bot is unchanged"),
}


def _studio(method: str, path: str, summary: str, answers: dict[int, Answer], **extra: Any) -> Any:
    denied = _error("No API key nor studio key configured, or a wrong or missing key")
    return Operation(
        method, path, summary, "studio", {**answers, 403: denied}, security=_API_SECURITY, **extra
    )


_SAVED = {
    200: Answer("Saved", m.ImportedBot, headers=REVISION_HEADER),
    404: _error("No such bot, or no such version"),
    412: STALE_REVISION,
    422: _error("The version does not validate any more (`problems` lists why)"),
    **_UNKEPT,
}

STUDIO_OPERATIONS: tuple[Operation, ...] = (
    _studio(
        "get",
        "/api/studio/session",
        "Check a key: which one it is",
        {200: Answer("The key opens the studio", s.StudioSession)},
        operation_id="studioSession",
    ),
    _studio(
        "post",
        "/api/templates/check",
        "Check a template's syntax",
        {
            200: Answer("ok, or the error with its line and column", s.TemplateChecked),
            400: _NOT_JSON,
            413: _error("The body is over 1 MiB"),
            422: _error("The body does not follow the schema"),
        },
        request=s.TemplateCheck,
        example={"template": "Hi {{params.name}"},
        operation_id="checkTemplate",
    ),
    _studio(
        "get",
        "/api/bots/{botId}/versions",
        "List a bot's versions, newest first",
        {200: Answer("The versions", s.VersionList), 404: _NO_BOT},
        parameters=(_BOT_ID,),
        operation_id="listVersions",
    ),
    _studio(
        "get",
        "/api/bots/{botId}/versions/{number}",
        "Export one version as CLOSER JSON",
        {
            200: Answer("The version", Bot),
            404: _error("No such bot, or no such version"),
            422: _error("download is neither 0 nor 1"),
        },
        parameters=(
            _BOT_ID,
            _NUMBER,
            Param(
                "download",
                "query",
                {"type": "string", "enum": ["0", "1"]},
                "1: answer it as a file to save (Content-Disposition: attachment)",
            ),
        ),
        operation_id="getVersion",
    ),
    _studio(
        "post",
        "/api/bots/{botId}/versions/{number}/rollback",
        "Save a version again as the bot (a new version)",
        _SAVED,
        parameters=(_BOT_ID, _NUMBER, IF_MATCH, AUTHOR),
        operation_id="rollbackVersion",
    ),
    _studio(
        "post",
        "/api/bots/{botId}/flows/import",
        "Merge a flow file's or a bot file's flows into the bot, and save it",
        {
            **_SAVED,
            200: Answer("Saved", s.FlowsImported, headers=REVISION_HEADER),
            400: _NOT_JSON,
            404: _NO_BOT,
            413: _TOO_LARGE,
            422: _error("The body does not follow the schema, or the merged bot does not validate"),
        },
        request=s.FlowImport,
        parameters=(_BOT_ID, IF_MATCH, AUTHOR),
        operation_id="importFlows",
    ),
    _studio(
        "post",
        "/api/bots/{botId}/validate",
        "Check a draft bot as `flowbot validate --notes --channel …` would",
        {
            200: Answer("Its problems (none: it is fine)", s.DraftProblems),
            400: _NOT_JSON,
            404: _NO_BOT,
            413: _TOO_LARGE,
            422: _error("The body is not an object"),
        },
        request={"type": "object", "description": "A draft bot or flow (CLOSER JSON)"},
        parameters=(
            _BOT_ID,
            Param(
                "channels",
                "query",
                {"type": "string", "pattern": CHANNELS_PATTERN},
                "all, or the channels to check (default: web and the bot's configured ones)",
            ),
        ),
        operation_id="validateDraft",
    ),
    _studio(
        "post",
        "/api/bots/{botId}/preview",
        "Run one turn of a draft (or the running bot) in memory, with the inspector's view",
        {
            200: Answer("The replies, the next session, and what the turn did", s.PreviewAnswer),
            400: _NOT_JSON,
            404: _NO_BOT,
            413: _TOO_LARGE,
            422: _error("The body, the draft or the session is not one this route takes"),
        },
        request=s.PreviewRequest,
        example={"message": {"text": "hi"}},
        parameters=(_BOT_ID,),
        operation_id="preview",
    ),
    _studio(
        "post",
        "/api/bots/{botId}/preview/test",
        "Write a preview conversation as a `flowbot test` file",
        {
            200: Answer("The test file's YAML", s.PreviewTest),
            400: _NOT_JSON,
            404: _NO_BOT,
            413: _TOO_LARGE,
            422: _error("The body or the draft is not one this route takes"),
        },
        request=s.PreviewTestRequest,
        example={"name": "says hello", "turns": [{"send": {}}]},
        parameters=(_BOT_ID,),
        operation_id="previewTest",
    ),
    _studio(
        "get",
        "/api/bots/{botId}/stats",
        "A bot's statistics over days (UTC, both included)",
        {
            200: Answer("Node visits, edges followed, drop-off and days", s.Stats),
            404: _NO_BOT,
            422: _error("A day that is not YYYY-MM-DD, from after to, or over 366 days"),
        },
        parameters=(
            _BOT_ID,
            Param("from", "query", {"type": "string", "format": "date"}, "Default: to - 29"),
            Param("to", "query", {"type": "string", "format": "date"}, "Default: today"),
        ),
        operation_id="botStats",
    ),
)
