"""`fetch` and `sandbox` nodes through injected ports."""

from __future__ import annotations

from typing import Any

from flowbot.engine import (
    HttpRequest,
    HttpResponse,
    Ports,
    ScriptRequest,
    ScriptResult,
)

from .support import Chat, node, one_flow, program_of, text, texts


class FakeHttp:
    """Answers with a fixed response (or raises), recording each request."""

    def __init__(self, response: HttpResponse | Exception) -> None:
        self.response = response
        self.requests: list[HttpRequest] = []

    async def request(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        if isinstance(self.response, Exception):
            raise self.response
        return self.response


class FakeScript:
    def __init__(self, result: ScriptResult | Exception) -> None:
        self.result = result
        self.requests: list[ScriptRequest] = []

    async def run(self, request: ScriptRequest) -> ScriptResult:
        self.requests.append(request)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


FETCH = {
    "uri": "https://api.example/{{message.text}}",
    "method": "post",
    "headers": {"X-User": "{{userKey}}"},
    "contentType": "json",
    "body": '{"q": "{{message.text}}"}',
}


def _fetch_bot(*edges: Any) -> dict[str, Any]:
    return one_flow(
        node(1, "entry", {}, 2),
        node(2, "fetch", FETCH, *edges),
        text(3, "got {{fetch.data.name}} ({{fetch.statusCode}})"),
        text(4, "sorry: {{fetch.error}}"),
    )


async def test_fetch_renders_the_request_and_puts_the_result_in_context() -> None:
    http = FakeHttp(HttpResponse(200, {"name": "pikachu"}))
    chat = Chat(program_of(_fetch_bot(3)), Ports(http=http))
    result = await chat.say("25")
    assert texts(result) == ["got pikachu (200)"]
    assert http.requests == [
        HttpRequest("POST", "https://api.example/25", {"X-User": ""}, "json", '{"q": "25"}')
    ]
    assert result.state.fetch["status"] == "COMPLETED"


async def test_a_fetch_failure_handled_by_an_edge_goes_on() -> None:
    failed = {"nodeId": 4, "where": {"fetch.status": {"equals": "FAILED"}}, "priority": 1}
    http = FakeHttp(ConnectionError("refused"))
    result = await Chat(program_of(_fetch_bot(failed)), Ports(http=http)).say("1")
    assert texts(result) == ["sorry: refused"]


async def test_a_non_2xx_answer_is_completed_with_a_status_code_error() -> None:
    # CLOSER: "요청이 성공했지만 statusCode가 2xx가 아닐 경우 error (StatusCodeError)"
    http = FakeHttp(HttpResponse(404, {"name": "nobody"}))
    result = await Chat(program_of(_fetch_bot(3)), Ports(http=http)).say("1")
    assert texts(result) == ["got nobody (404)"]
    assert result.state.fetch == {
        "uri": "https://api.example/1",
        "data": {"name": "nobody"},
        "statusCode": 404,
        "status": "COMPLETED",
        "error": "StatusCodeError: 404",
    }
    on_error = {"nodeId": 4, "where": {"fetch.error": {"exists": True}}, "priority": 1}
    branched = await Chat(program_of(_fetch_bot(on_error, 3)), Ports(http=http)).say("1")
    assert texts(branched) == ["sorry: StatusCodeError: 404"]


async def test_an_unconditional_edge_does_not_handle_a_fetch_failure() -> None:
    http = FakeHttp(ConnectionError("refused"))
    result = await Chat(program_of(_fetch_bot(3)), Ports(http=http)).say("1")
    assert result.error == "flow 1 node 2 (fetch): fetch https://api.example/1 failed: refused"


async def test_a_fetch_failure_no_edge_handles_is_a_turn_error() -> None:
    only_ok = {"nodeId": 3, "where": {"fetch.status": {"equals": "COMPLETED"}}}
    http = FakeHttp(TimeoutError("timed out after 10 s"))
    result = await Chat(program_of(_fetch_bot(only_ok)), Ports(http=http)).say("1")
    assert result.error == (
        "flow 1 node 2 (fetch): fetch https://api.example/1 failed: timed out after 10 s"
    )
    assert result.state.fetch is None


async def test_a_large_result_keeps_only_its_status_in_the_state() -> None:
    big = {"items": ["x" * 100] * 300}  # ~31 KB: over MAX_RESULT_CHARS
    http = FakeHttp(HttpResponse(200, big))
    bot = one_flow(
        node(1, "entry", {}, 2),
        node(2, "fetch", FETCH, 3),
        text(3, "{{fetch.data.items.length}} items"),
    )
    chat = Chat(program_of(bot), Ports(http=http))
    result = await chat.say("1")
    assert texts(result) == ["300 items"]  # the turn that fetched sees all of it
    kept = result.state.fetch
    assert kept is not None and kept["data"] is None and kept["omitted"] > 16 * 1024
    assert (kept["status"], kept["statusCode"]) == ("COMPLETED", 200)


async def test_fetch_without_an_http_port_is_not_available() -> None:
    result = await Chat(program_of(_fetch_bot(3))).say("1")
    assert result.error == "flow 1 node 2 (fetch): fetch is not available"
    assert result.replies[0]["text"].startswith("[ERROR]")


def _sandbox_bot() -> dict[str, Any]:
    return one_flow(
        node(1, "entry", {}, 2),
        node(2, "sandbox", {"runtime": "python", "script": "result = 1"}, 3),
        text(3, "{{sandbox.result.total}} {{count}}"),
    )


async def test_sandbox_result_and_params_merge() -> None:
    script = FakeScript(ScriptResult(result={"total": 7}, params={"count": 2}))
    result = await Chat(program_of(_sandbox_bot()), Ports(script=script)).say("x")
    assert texts(result) == ["7 2"]
    assert result.state.params == {"count": 2}
    request = script.requests[0]
    assert (request.runtime, request.script) == ("python", "result = 1")
    assert request.context["message"]["text"] == "x"


async def test_sandbox_failure_and_missing_port_are_turn_errors() -> None:
    script = FakeScript(TimeoutError("took more than 5 s"))
    failed = await Chat(program_of(_sandbox_bot()), Ports(script=script)).say("x")
    assert failed.error == "flow 1 node 2 (sandbox): sandbox failed: took more than 5 s"
    missing = await Chat(program_of(_sandbox_bot())).say("x")
    assert missing.error == "flow 1 node 2 (sandbox): sandbox is not available"


async def test_sandbox_params_with_bad_keys_are_refused() -> None:
    script = FakeScript(ScriptResult(result=None, params={"bad key": 1}))
    result = await Chat(program_of(_sandbox_bot()), Ports(script=script)).say("x")
    assert result.error is not None and "invalid param key 'bad key'" in result.error
    assert result.state.params == {}
