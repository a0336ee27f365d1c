"""The `flowbot` command: validate · template · chat · test · serve · nlp eval.

Each command is a thin wrapper: the work lives in the module that owns the
concept, imported lazily so that `flowbot validate` does not pay for the
server's imports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="flowbot",
    help="Run CLOSER chatbot flows on your own server.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def validate(
    paths: Annotated[
        list[Path], typer.Argument(help="Bot files, flow files, bot folders or folders of bots.")
    ],
    channel: Annotated[
        str | None,
        typer.Option(
            "--channel",
            help="Also report what these channels would degrade, e.g. facebook,line.",
        ),
    ] = None,
    notes: Annotated[
        bool,
        typer.Option(
            "--notes",
            help="Also print notes: what only a run can check (templated flow ids, "
            "payloads and links).",
        ),
    ] = False,
) -> None:
    """Check bots; print one line per problem as PATH: flow F node N json.path: message.

    A folder of separate bots (such as examples/) is checked bot by bot; a
    folder with a bot.json, or of flow files only, is one bot.
    """
    from flowbot.format.validate import run_validate

    if channel is None:
        raise typer.Exit(run_validate(paths, notes=notes))
    from flowbot.channels import CHANNELS
    from flowbot.channels.check import channel_problems

    names = [name.strip() for name in channel.split(",") if name.strip()]
    unknown = [name for name in names if name not in CHANNELS]
    if unknown or not names:
        typer.echo(
            f"flowbot validate: --channel: unknown channel(s) {', '.join(unknown) or '(none)'}; "
            f"known: {', '.join(CHANNELS)}",
            err=True,
        )
        raise typer.Exit(2)
    raise typer.Exit(
        run_validate(
            paths,
            more=lambda loaded: channel_problems(loaded.bot, loaded.source, names),
            notes=notes,
        )
    )


TEMPLATE_HELP = r"""Render a template (or a message with --expand) against a JSON context.

A payload in the context's message that is JSON text is read as a JSON value,
as the engine reads a postback's payload: {{message.payload.flowId}} works on
{"message": {"payload": "{\"flowId\": 2}"}}.

--expand renders a whole Message object instead of SOURCE: every string in it
is a template, and a card, button or quick reply that uses {{arr[i].x}} is
repeated for each element of arr, at most 10 (array expansion). The result is
printed as JSON.

Examples:

  flowbot template 'Hi {{name}}' --context '{"params": {"name": "Kim"}}'

  flowbot template '{{message.payload.flowId}}' \
    --context '{"message": {"payload": "{\"flowId\": 2}"}}'

  flowbot template --context '{"results": [{"name": "Pikachu"}, {"name": "Eevee"}]}' \
    --expand '{"type": "text", "text": "{{results.length}} found",
               "buttons": [{"type": "postback", "label": "{{results[i].name}}"}]}'
"""


@app.command(help=TEMPLATE_HELP.replace("[", "\\["))
def template(
    source: Annotated[str, typer.Argument(help="The template text.")] = "",
    context: Annotated[str, typer.Option("--context", help="The context as a JSON object.")] = "{}",
    expand: Annotated[
        str | None,
        typer.Option(
            "--expand",
            metavar="MESSAGE_JSON",
            help="A whole Message object as JSON, rendered with array expansion (see above).",
        ),
    ] = None,
) -> None:
    from flowbot.template.playground import run_playground

    raise typer.Exit(run_playground(source, _payload_as_the_engine_reads_it(context), expand))


def _payload_as_the_engine_reads_it(context_json: str) -> str:
    """The context with `message.payload` parsed by the engine's own rule when it is a string.

    Anything else (invalid JSON included: the playground reports it) is
    passed on unchanged.
    """
    import json

    try:
        context = json.loads(context_json)
    except json.JSONDecodeError:
        return context_json
    message = context.get("message") if isinstance(context, dict) else None
    if not isinstance(message, dict) or not isinstance(message.get("payload"), str):
        return context_json
    from flowbot.engine import parse_payload

    message = {**message, "payload": parse_payload(message["payload"])}
    return json.dumps({**context, "message": message}, ensure_ascii=False)


def _params(values: list[str] | None) -> dict[str, str]:
    from flowbot.config import PARAM_KEY

    params: dict[str, str] = {}
    for value in values or []:
        name, equals, text = value.partition("=")
        if not equals:
            raise typer.BadParameter(f"{value!r} is not NAME=VALUE", param_hint="--param")
        if not PARAM_KEY.fullmatch(name):
            raise typer.BadParameter(
                f"{name!r} is not a param name (letters, digits, _ and -, at most 100)",
                param_hint="--param",
            )
        params[name] = text
    return params


@app.command()
def chat(
    bot: Annotated[Path, typer.Argument(help="A bot file, flow file or bot folder.")],
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="Machine interface: JSON lines in, JSON lines out.")
    ] = False,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            metavar="NAME=VALUE",
            help="An initial param of the conversation, as the widget's ?NAME=VALUE "
            "(a string; repeatable). With --jsonl, every user's conversation starts with it.",
        ),
    ] = None,
) -> None:
    """Chat with a bot in the terminal."""
    params = _params(param)
    from flowbot.chat import run_chat

    raise typer.Exit(run_chat(bot, jsonl=jsonl, params=params))


@app.command("test")
def test_(
    paths: Annotated[
        list[Path], typer.Argument(help="Conversation test files (YAML) or folders of them.")
    ],
) -> None:
    """Run conversation tests."""
    from flowbot.testing import run_conversation_tests

    raise typer.Exit(run_conversation_tests(paths))


@app.command()
def serve(
    targets: Annotated[list[Path], typer.Argument(help="Bots, or one flowbot.toml config.")],
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="Port to bind (0: any free port).", min=0, max=65535)
    ] = 8000,
    db: Annotated[str, typer.Option(help="Database URL.")] = "sqlite:///flowbot.db",
    redis: Annotated[
        str | None,
        typer.Option(
            help="Redis URL, for several processes: conversation locks and live push "
            "(docs/deploy.md)."
        ),
    ] = None,
    redis_prefix: Annotated[
        str | None, typer.Option(help="Prefix of flowbot's Redis keys (default flowbot:).")
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            help="Server processes sharing the port (more than 1: PostgreSQL or Redis).",
            min=1,
            max=64,
        ),
    ] = 1,
) -> None:
    """Serve bots: web chat widget, channel webhooks and the JSON API."""
    from flowbot.server.main import run_server

    raise typer.Exit(
        run_server(
            targets,
            host=host,
            port=port,
            db=db,
            redis=redis,
            redis_prefix=redis_prefix,
            workers=workers,
        )
    )


nlp_app = typer.Typer(help="The local nlp engine: evaluate a bot's intents (docs/nlp.md).")
app.add_typer(nlp_app, name="nlp")


@nlp_app.command("eval")
def nlp_eval(
    bot: Annotated[Path, typer.Argument(help="A bot with an nlp node whose engine is local.")],
    data: Annotated[Path, typer.Option("--data", help="The evaluation set (YAML).")],
) -> None:
    """Print accuracy, confusion, out-of-scope rejection, latency and load time."""
    import sys

    from flowbot.format import BotLoadError
    from flowbot.nlp.evaluate import run_eval

    try:
        raise typer.Exit(run_eval(bot, data, sys.stdout))
    except (BotLoadError, ValueError, OSError) as exc:
        typer.echo(f"flowbot nlp eval: {exc}", err=True)
        raise typer.Exit(2) from None


if __name__ == "__main__":  # pragma: no cover
    app()
