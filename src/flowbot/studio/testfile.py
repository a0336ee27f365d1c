"""A preview conversation written as a `flowbot test` file (docs/conversation-tests.md).

Each turn is run again, the way `flowbot test` runs its steps
(`flowbot.testing.runner.send_step` on a `flowbot.chat` conversation, with
the test's clock and seed), so the expectations written are what the test
will find: the replies in the file's notation and the quick replies' labels.
A turn's `expect` given by the client is written instead of what ran.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from flowbot.chat.conversation import Conversation
from flowbot.engine import Ports, Program
from flowbot.studio.preview import PreviewError
from flowbot.testing.matching import summarise_reply
from flowbot.testing.runner import case_ports, send_step
from flowbot.testing.schema import Step, TestCase

__all__ = ["conversation_test_yaml"]


def _step(send: Mapping[str, Any]) -> dict[str, Any]:
    if send.get("goto") is not None:
        raise PreviewError("a test file cannot jump: a turn's send has no goto")
    step: dict[str, Any]
    if send.get("payload") is not None:
        step = {"payload": send["payload"]}
        if send.get("text") is not None:
            step["text"] = send["text"]
    elif send.get("text") is not None:
        step = {"user": send["text"]}
    else:
        step = {"open": True}
    if send.get("params"):
        step["params"] = dict(send["params"])
    return step


async def conversation_test_yaml(
    program: Program,
    name: str,
    bot_path: str,
    turns: Sequence[Mapping[str, Any]],
    ports: Ports | None = None,
) -> str:
    steps = [_step(turn.get("send") or {}) for turn in turns]
    case = TestCase(name=name, steps=[Step.model_validate(step) for step in steps])
    conversation = Conversation(program, f"test:{name}", ports=case_ports(case, None, ports))
    for step, model, turn in zip(steps, case.steps, turns, strict=True):
        result = await send_step(conversation, model, model.params)
        given = turn.get("expect")
        if given is not None:
            step["expect"] = dict(given)
            continue
        expect: dict[str, Any] = {"replies": [summarise_reply(r) for r in result.replies]}
        labels = [str(q.get("label", "")) for q in result.quick_replies]
        if labels:
            expect["quickReplies"] = labels
        if result.error is not None:
            expect["error"] = result.error
        step["expect"] = expect
    document = {"bot": bot_path, "tests": [{"name": name, "steps": steps}]}
    header = "# written by the flowbot studio's preview (POST /api/bots/{id}/preview/test)\n"
    return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
