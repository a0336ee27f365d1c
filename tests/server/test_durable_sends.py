"""A LINE reply outlives the process that ran its turn (flowbot.server.sends).

The turn's platform calls are saved with the turn as an outbox row; the
process sends them and marks the row; if it dies first, another process on
the same database sends them once `recover_sends_after` has passed.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
from starlette.requests import Request
from starlette.responses import Response

from flowbot.channels import line

from .platforms import LINE_SECRET, LINE_TOKEN, Call, FakeLine, LineUser, serve_messengers, text_of
from .support import POKEMON, free_port, uvicorn_server
from .test_outbox import _healthy, _outbox, _wait_for, database_url, flowbot_serve

__all__ = ["database_url"]  # the fixture, shared with the outbox's kill test


class HangingLine(FakeLine):
    """LINE whose API takes the calls and answers none while `hold` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.hold = True
        # the calls the killed process made; once `abandoned`, answered 500 (to nobody)
        self.held: list[Call] = []
        self.abandoned = False

    async def record(self, request: Request) -> tuple[Call, Response | None]:
        call, scripted = await super().record(request)
        while self.hold:
            await asyncio.sleep(0.02)
        if scripted is None and self.abandoned and call in self.held:
            return call, Response(status_code=500)
        return call, scripted


async def test_the_process_that_ran_the_turn_sends_once_and_marks_it(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'line.db'}"
    async with serve_messengers(database, {"pokemon": POKEMON}) as served:
        user = served.line_user("pokemon", "U-marked")
        messages = await user.say("hi", expect=2)
        assert text_of(messages[0]).startswith("Welcome")

        async def marked() -> bool:
            return [row[1:] for row in await _outbox(database)] == [("delivered", 1, None)]

        # delivered: no relay of any process claims it (they claim pending rows)
        await _wait_for(marked)
    replies = [call for call in served.line.calls if call.path == line.REPLY_PATH]
    assert len(replies) == 1


def _config(tmp_path: Path, database: str, line_url: str) -> Path:
    config = tmp_path / "flowbot.toml"
    config.write_text(
        f'database = "{database}"\n'
        'recover_sends_after = "1s"\n'
        "access_log = false\n"
        f'[bots.pokemon]\npath = "{POKEMON}"\n'
        "[bots.pokemon.channels.line]\n"
        f'channel_secret = "{LINE_SECRET}"\n'
        f'channel_access_token = "{LINE_TOKEN}"\n'
        f'api_base = "{line_url}"\n'
    )
    return config


async def test_a_reply_its_process_did_not_send_goes_out_from_the_next(
    database_url: str, tmp_path: Path
) -> None:
    fake = HangingLine()
    async with uvicorn_server(fake.app()) as line_url:
        config = _config(tmp_path, database_url, line_url)
        first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"

        # 1. the turn is saved and acknowledged; its calls hang at LINE; SIGKILL
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with flowbot_serve(config, port, first_log) as first:
            await _healthy(first, base, first_log)
            async with httpx.AsyncClient(base_url=base) as client:
                user = LineUser(client, fake, "pokemon", "U-stranded")
                message = {"id": "1", "type": "text", "text": "hi", "quoteToken": "q"}
                acknowledged = await user.post(user.event("message", message=message))
            assert acknowledged.status_code == 200, acknowledged.text
            await fake.wait_for(1)
            fake.held = list(fake.calls)
            first.send_signal(signal.SIGKILL)
            assert first.wait(15) == -signal.SIGKILL
        rows = await _outbox(database_url)
        assert [status for _, status, _, _ in rows] == ["pending"]
        fake.abandoned = True
        fake.hold = False

        # 2. a second process sends the stranded reply, once, without its typing call
        port = free_port()
        with flowbot_serve(config, port, second_log) as second:
            await _healthy(second, f"http://127.0.0.1:{port}", second_log)

            async def delivered() -> bool:
                found = await _outbox(database_url)
                return [status for _, status, _, _ in found] == ["delivered"]

            await _wait_for(delivered, seconds=20)
            await asyncio.sleep(0.3)
    messages = fake.messages("U-stranded")
    assert messages and text_of(messages[0]).startswith("Welcome"), fake.calls
    after = [call for call in fake.calls if call not in fake.held]
    assert [call.path for call in after] == [line.REPLY_PATH], after
    assert fake.problems == []
    assert "sent by this process after its own had not" in second_log.read_text()
