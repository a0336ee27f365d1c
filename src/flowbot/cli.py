"""The `flowbot` command: validate · template · chat · test · serve.

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
    paths: Annotated[list[Path], typer.Argument(help="Bot files, flow files or bot folders.")],
    channel: Annotated[
        str | None,
        typer.Option(
            "--channel",
            help="Also report what these channels would degrade, e.g. facebook,line.",
        ),
    ] = None,
) -> None:
    """Check bots; print one line per problem as PATH: flow F node N json.path: message."""
    from flowbot.format.validate import run_validate

    if channel is None:
        raise typer.Exit(run_validate(paths))
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
        run_validate(paths, more=lambda loaded: channel_problems(loaded.bot, loaded.source, names))
    )


@app.command()
def template(
    source: Annotated[str, typer.Argument(help="The template text.")] = "",
    context: Annotated[str, typer.Option("--context", help="The context as JSON.")] = "{}",
    expand: Annotated[
        str | None,
        typer.Option(
            "--expand", help="A whole Message object as JSON, rendered with array expansion."
        ),
    ] = None,
) -> None:
    """Render a template (or a message with --expand) against a JSON context."""
    from flowbot.template.playground import run_playground

    raise typer.Exit(run_playground(source, context, expand))


@app.command()
def chat(
    bot: Annotated[Path, typer.Argument(help="A bot file, flow file or bot folder.")],
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="Machine interface: JSON lines in, JSON lines out.")
    ] = False,
) -> None:
    """Chat with a bot in the terminal."""
    from flowbot.chat import run_chat

    raise typer.Exit(run_chat(bot, jsonl=jsonl))


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
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    db: Annotated[str, typer.Option(help="Database URL.")] = "sqlite:///flowbot.db",
) -> None:
    """Serve bots: web chat widget, channel webhooks and the JSON API."""
    from flowbot.server.main import run_server

    raise typer.Exit(run_server(targets, host=host, port=port, db=db))


if __name__ == "__main__":  # pragma: no cover
    app()
