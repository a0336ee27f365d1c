"""`flowbot template`: render a template, or a whole message, against a JSON context."""

from __future__ import annotations

import json
import sys
from typing import Any

from flowbot.template.errors import TemplateRenderError, TemplateSyntaxError
from flowbot.template.expand import compile_value
from flowbot.template.masking import reveal, reveal_value
from flowbot.template.template import compile_template

__all__ = ["run_playground"]


def run_playground(source: str, context_json: str, expand_json: str | None) -> int:
    """Print the rendering of `source` (or of the message `expand_json`, with array expansion).

    Exit codes: 0 rendered, 1 template syntax or render error (printed as
    `line:column: message`), 2 invalid JSON input.
    """
    context = _load_json("--context", context_json)
    if context is _INVALID:
        return 2
    if not isinstance(context, dict):
        print("error: --context must be a JSON object", file=sys.stderr)
        return 2
    message: Any = None
    if expand_json is not None:
        message = _load_json("--expand", expand_json)
        if message is _INVALID:
            return 2
    try:
        if expand_json is None:
            # what the user would see: MASK spans in clear
            print(reveal(compile_template(source).render(context)))
        else:
            rendered = reveal_value(compile_value(message).render(context))
            print(json.dumps(rendered, ensure_ascii=False, indent=2))
    except TemplateSyntaxError as error:
        where = f"{error.path}: " if error.path else ""
        print(f"{where}{error.line}:{error.column}: {error.message}", file=sys.stderr)
        return 1
    except TemplateRenderError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


_INVALID = object()


def _load_json(option: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        print(
            f"error: {option} is not valid JSON (line {error.lineno}, column {error.colno}: "
            f"{error.msg})",
            file=sys.stderr,
        )
        return _INVALID
