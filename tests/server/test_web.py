"""The web channel over HTTP against the real app and a real SQLite file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from flowbot.config import BotSource
from flowbot.engine import HttpRequest, HttpResponse, Ports
from flowbot.store import ConflictError, SQLStore, TranscriptEntry
from flowbot.store import Conversation as StoredConversation

from .support import (
    API_KEY,
    NOT_PICKED,
    NOT_UNDERSTOOD,
    WELCOME,
    AppFactory,
    Conversation,
    choose,
    texts,
)

API = {"X-API-Key": API_KEY}


async def test_pokemon_conversation(client: httpx.AsyncClient) -> None:
    user = Conversation(client, "ash")
    opened = await user.send()
    assert texts(opened) == [WELCOME, "<cards>"]
    assert [card["title"] for card in opened["replies"][1]["cards"]] == [
        "Bulbasaur",
        "Charmander",
        "Squirtle",
    ]
    assert opened["token"] and opened["conversationId"]
    assert texts(await user.send(text="hello")) == [NOT_PICKED, "<cards>"]
    assert texts(await user.send(**choose("Squirtle"))) == ["Squirtle! An excellent choice."]
    # The cards stay clickable: a later click goes to the fallback flow.
    assert texts(await user.send(**choose("Bulbasaur"))) == [
        "Fallback flow: you clicked Bulbasaur, but your partner is already Squirtle."
    ]
    assert texts(await user.send(text="what now")) == [NOT_UNDERSTOOD]
    # The goto button "Pick a Pokémon" starts flow 1 again.
    answer = await user.send(text="Pick a Pokémon", goto={"flowId": 1})
    assert texts(answer) == [WELCOME, "<cards>"]


async def test_first_message_of_a_new_user_opens_the_conversation(
    client: httpx.AsyncClient,
) -> None:
    user = Conversation(client, "misty")
    answer = await user.send(text="hi")
    assert answer["token"]
    assert WELCOME in texts(answer) or NOT_PICKED in texts(answer)


async def test_later_requests_need_the_token(client: httpx.AsyncClient) -> None:
    user = Conversation(client, "brock")
    opened = await user.send()
    url = "/channels/web/pokemon/messages"
    body = {"userKey": "brock", "text": "hello"}

    missing = await client.post(url, json=body)
    assert missing.status_code == 403
    assert "token" in missing.json()["error"]
    wrong = await client.post(url, json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    not_bearer = await client.post(
        url, json=body, headers={"Authorization": f"Basic {opened['token']}"}
    )
    assert not_bearer.status_code == 403
    # An "open" event does not bypass the token either.
    reopen = await client.post(url, json={"userKey": "brock", "event": "open"})
    assert reopen.status_code == 403

    good = await user.send(text="hello")
    assert good["token"] == opened["token"]
    assert good["conversationId"] == opened["conversationId"]


async def test_token_of_one_conversation_does_not_open_another(client: httpx.AsyncClient) -> None:
    gary = Conversation(client, "gary")
    await gary.send()
    oak = Conversation(client, "oak")
    await oak.send()
    oak.token = gary.token
    response = await oak.post(text="hello")
    assert response.status_code == 403


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/channels/web/pokemon/messages",
        content=b'{"userKey": "x", ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "not JSON" in response.json()["error"]
    response = await client.post("/channels/web/pokemon/messages", content=b"\xff\xfe")
    assert response.status_code == 400


async def test_schema_errors_are_422_with_one_line_per_field(client: httpx.AsyncClient) -> None:
    url = "/channels/web/pokemon/messages"
    cases: list[tuple[Any, str]] = [
        ([1, 2], "$: expected an object"),
        ({}, "userKey: required"),
        ({"userKey": "  "}, "userKey: must not be empty"),
        ({"userKey": 7}, "userKey: expected a string, got a number"),
        ({"userKey": "u", "text": ["a"]}, "text: expected a string, got an array"),
        ({"userKey": "u", "payload": "x" * 1001}, "payload: 1001 characters, at most 1000"),
        ({"userKey": "u", "event": "close"}, 'event: the only event is "open"'),
        ({"userKey": "u", "goto": {"nodeId": 1}}, "goto.flowId: expected"),
        ({"userKey": "u", "goto": {"flowId": True}}, "goto.flowId: expected"),
        ({"userKey": "u", "params": []}, "params: expected an object, got an array"),
        ({"userKey": "u", "params": {"a b": 1}}, "params.a b: a key is letters"),
    ]
    for body, expected in cases:
        response = await client.post(url, json=body)
        assert response.status_code == 422, (body, response.text)
        problems = response.json()["problems"]
        assert any(line.startswith(expected) for line in problems), (body, problems)


async def test_a_payload_of_exactly_1000_characters_is_accepted(client: httpx.AsyncClient) -> None:
    user = Conversation(client, "long")
    await user.send()
    answer = await user.send(text="I choose you!", payload="x" * 1000)
    assert texts(answer) == [NOT_PICKED, "<cards>"]


async def test_unknown_bot_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/channels/web/digimon/messages", json={"userKey": "u"})
    assert response.status_code == 404
    assert "digimon" in response.json()["error"]


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/channels/web/pokemon/messages",
        content=b'{"userKey": "u", "text": "' + b"a" * 70_000 + b'"}',
    )
    assert response.status_code == 413


async def test_initial_params_reach_the_conversation(client: httpx.AsyncClient) -> None:
    user = Conversation(client, "with-params")
    await user.send(params={"campaign": "spring"})
    response = await client.get(f"/api/conversations/{user.conversation_id}", headers=API)
    assert response.json()["params"]["campaign"] == "spring"


async def test_one_turn_at_a_time_per_conversation(client: httpx.AsyncClient) -> None:
    user = Conversation(client, "rush")
    await user.send()
    answers = await asyncio.gather(*(user.send(text=f"m{i}") for i in range(8)))
    assert all(texts(answer) == [NOT_PICKED, "<cards>"] for answer in answers)
    conversation = (
        await client.get(f"/api/conversations/{user.conversation_id}", headers=API)
    ).json()
    assert conversation["version"] == 9  # one save per turn, none lost
    inbound = [e for e in conversation["transcript"] if e["direction"] == "in"]
    assert sorted(e["message"]["text"] for e in inbound[1:]) == sorted(f"m{i}" for i in range(8))


async def test_a_retried_message_is_answered_once(client: httpx.AsyncClient) -> None:
    user = Conversation(client, "retry")
    await user.send()
    first = await user.send(messageId="m-1", **choose("Charmander"))
    again = await user.send(messageId="m-1", **choose("Charmander"))
    assert again == first
    assert texts(first) == ["Charmander! An excellent choice."]
    conversation = (
        await client.get(f"/api/conversations/{user.conversation_id}", headers=API)
    ).json()
    assert conversation["version"] == 2


async def test_state_survives_a_new_app_on_the_same_database(serve_asgi: AppFactory) -> None:
    async with serve_asgi() as client:
        user = Conversation(client, "persist")
        await user.send()
    async with serve_asgi() as client:
        user.client = client
        assert texts(await user.send(**choose("Bulbasaur"))) == ["Bulbasaur! An excellent choice."]


class FlakySaves(SQLStore):
    """A real SQLite store whose next saves raise `errors`, one each, then work again.

    An `OSError` is a database hiccup; a `ConflictError` is another process
    saving first, so the server must reload and run the turn again.
    """

    errors: tuple[Exception, ...] = ()

    async def save_turn(
        self,
        conversation_id: str,
        state: dict[str, Any],
        entries: list[TranscriptEntry],
        expected_version: int,
        **turn: Any,
    ) -> int:
        self._fail_once()
        return await super().save_turn(conversation_id, state, entries, expected_version, **turn)

    async def save_first_turn(
        self,
        conversation: StoredConversation,
        state: dict[str, Any],
        entries: list[TranscriptEntry],
        **turn: Any,
    ) -> int:
        self._fail_once()
        return await super().save_first_turn(conversation, state, entries, **turn)

    def _fail_once(self) -> None:
        if self.errors:
            error, self.errors = self.errors[0], self.errors[1:]
            raise error


async def test_a_failed_save_leaves_the_stored_state_untouched(
    serve_asgi: AppFactory, settings: Any
) -> None:
    store = FlakySaves(settings.database)
    async with serve_asgi(store=store) as client:
        user = Conversation(client, "hiccup")
        await user.send()
        before = (
            await client.get(f"/api/conversations/{user.conversation_id}", headers=API)
        ).json()
        store.errors = (OSError("disk I/O error"),)
        failed = await user.post(**choose("Squirtle"))
        # a storage error is an outage for the client: 503, try again (nothing was kept)
        assert failed.status_code == 503
        assert failed.json() == {"error": "the service is unavailable for a moment: try again"}
        after = (await client.get(f"/api/conversations/{user.conversation_id}", headers=API)).json()
        assert after == before
        # The conversation goes on from where it was: the click still works.
        assert texts(await user.send(**choose("Squirtle"))) == ["Squirtle! An excellent choice."]


async def test_a_save_conflict_reruns_the_turn(serve_asgi: AppFactory, settings: Any) -> None:
    store = FlakySaves(settings.database)
    async with serve_asgi(store=store) as client:
        user = Conversation(client, "conflict")
        await user.send()
        store.errors = (ConflictError("someone else saved first"),)
        assert texts(await user.send(**choose("Charmander"))) == [
            "Charmander! An excellent choice."
        ]
        conversation = (
            await client.get(f"/api/conversations/{user.conversation_id}", headers=API)
        ).json()
        assert conversation["version"] == 2
        assert conversation["params"] == {"partner": "Charmander"}


async def test_a_turn_that_reached_out_is_not_run_again_on_a_conflict(
    serve_asgi: AppFactory, settings: Any, tmp_path: Path
) -> None:
    requests: list[HttpRequest] = []

    class CountingHttp:
        async def request(self, request: HttpRequest) -> HttpResponse:
            requests.append(request)
            return HttpResponse(200, {"ok": True})

    bot = tmp_path / "orders.yaml"
    bot.write_text(
        "flows:\n"
        "  - id: 1\n"
        "    data: {entry: 1}\n"
        "    nodes:\n"
        "      - {id: 1, type: entry, data: {}, next: [{nodeId: 2}]}\n"
        "      - {id: 2, type: keyboard, data: {type: text}, next: [{nodeId: 3}]}\n"
        "      - id: 3\n"
        "        type: fetch\n"
        "        data: {uri: 'https://shop.example/orders', method: POST, body: '{{message}}'}\n"
        "        next: [{nodeId: 4}]\n"
        "      - {id: 4, type: response, data: {message: {type: text, text: ordered}}}\n"
    )
    settings.bots = [BotSource("orders", bot)]
    store = FlakySaves(settings.database)
    async with serve_asgi(settings, store=store, ports=Ports(http=CountingHttp())) as client:
        user = Conversation(client, "buyer", bot_id="orders")
        await user.send()
        store.errors = (ConflictError("someone else saved first"),)
        answer = await user.post(text="one pizza")
        assert answer.status_code == 503
        assert len(requests) == 1  # the POST went out once, not three times
        assert texts(await user.send(text="one pizza")) == ["ordered"]
        assert len(requests) == 2


async def test_a_failed_first_turn_leaves_no_conversation_behind(
    serve_asgi: AppFactory, settings: Any
) -> None:
    store = FlakySaves(settings.database)
    async with serve_asgi(store=store) as client:
        store.errors = (OSError("disk I/O error"),)
        user = Conversation(client, "unlucky")
        assert (await user.post()).status_code == 503
        # nothing is stored, so nobody can pick up a token for this userKey…
        assert await store.find_conversation("pokemon", "web", "unlucky") is None
        # …and the user's next request simply opens the conversation
        opened = await user.send()
        assert texts(opened) == [WELCOME, "<cards>"]


# --- cross-origin requests (the widget embedded on other sites) -------------------------

SHOP = "https://shop.example.com"


async def test_preflight_of_a_message_is_answered(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/channels/web/pokemon/messages",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "access-control-allow-credentials" not in response.headers


async def test_cross_origin_conversation(client: httpx.AsyncClient) -> None:
    first = await client.post(
        "/channels/web/pokemon/messages", json={"userKey": "far-away"}, headers={"Origin": SHOP}
    )
    assert first.status_code == 200
    assert first.headers["access-control-allow-origin"] == "*"
    answer = first.json()
    second = await client.post(
        "/channels/web/pokemon/messages",
        json={"userKey": "far-away", "text": "hello"},
        headers={"Origin": SHOP, "Authorization": f"Bearer {answer['token']}"},
    )
    assert second.status_code == 200 and texts(second.json())[0] == NOT_PICKED
    assert second.headers["access-control-allow-origin"] == "*"


async def test_widget_script_and_event_stream_allow_other_origins(
    client: httpx.AsyncClient,
) -> None:
    script = await client.get("/widget.js", headers={"Origin": SHOP})
    assert script.headers["access-control-allow-origin"] == "*"
    # A wrong token is refused, and the refusal is readable by the page.
    refused = await client.get(
        "/channels/web/pokemon/conversations/nope/events?token=x", headers={"Origin": SHOP}
    )
    assert refused.status_code == 404
    assert refused.headers["access-control-allow-origin"] == "*"


async def test_the_api_gets_no_cross_origin_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/bots", headers={**API, "Origin": SHOP})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    preflight = await client.options(
        "/api/bots",
        headers={"Origin": SHOP, "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers


async def test_a_plain_options_request_is_405(client: httpx.AsyncClient) -> None:
    response = await client.options("/channels/web/pokemon/messages")
    assert response.status_code == 405
    assert "access-control-allow-origin" not in response.headers


async def test_allowed_origins_from_the_settings(serve_asgi: AppFactory, settings: Any) -> None:
    settings.web_allowed_origins = (SHOP,)
    async with serve_asgi(settings) as client:
        allowed = await client.post(
            "/channels/web/pokemon/messages", json={"userKey": "u"}, headers={"Origin": SHOP}
        )
        assert allowed.headers["access-control-allow-origin"] == SHOP
        other = await client.post(
            "/channels/web/pokemon/messages",
            json={"userKey": "v"},
            headers={"Origin": "https://evil.example.org"},
        )
        assert "access-control-allow-origin" not in other.headers
        preflight = await client.options(
            "/channels/web/pokemon/messages",
            headers={
                "Origin": "https://evil.example.org",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 400
