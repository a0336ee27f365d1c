"""The JSON API: key rules, bots (list, export, import), flows, conversations."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import Mount, Route

from flowbot.config import BotSource, Settings
from flowbot.format import export_bot, load_bot
from flowbot.format.models import Bot
from flowbot.server.api_models import Error
from flowbot.server.docs_page import SWAGGER_UI_DIR, swagger_ui_version
from flowbot.server.openapi import REF, Schemas, openapi_document

from .support import (
    API_KEY,
    NOT_PICKED,
    POKEMON,
    WELCOME,
    AppFactory,
    Conversation,
    choose,
    texts,
)

API = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def bot_file(tmp_path: Path) -> Path:
    """A copy of the Pokémon bot: an import writes to the file the bot is loaded from."""
    copied = tmp_path / "pokemon.yaml"
    shutil.copy(POKEMON, copied)
    return copied


@pytest.fixture
def settings(tmp_path: Path, bot_file: Path) -> Settings:
    return Settings(
        bots=[BotSource("pokemon", bot_file)],
        database=f"sqlite:///{tmp_path / 'flowbot.db'}",
        api_key=API_KEY,
    )


async def test_the_api_needs_the_key(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/bots")).status_code == 403
    wrong = await client.get("/api/bots", headers={"X-API-Key": "guess"})
    assert wrong.status_code == 403
    assert "API key" in wrong.json()["error"]
    assert (await client.get("/api/bots", headers={"Authorization": "Basic x"})).status_code == 403
    assert (await client.get("/api/bots", headers={"X-API-Key": API_KEY})).status_code == 200
    assert (await client.get("/api/bots", headers=API)).status_code == 200


async def test_without_a_configured_key_the_api_is_disabled(
    serve_asgi: AppFactory, settings: Settings
) -> None:
    settings.api_key = None
    async with serve_asgi(settings) as client:
        for method, path in [
            ("GET", "/api/bots"),
            ("GET", "/api/bots/pokemon"),
            ("PUT", "/api/bots/pokemon"),
            ("POST", "/api/conversations/x/messages"),
        ]:
            response = await client.request(method, path, headers=API)
            assert response.status_code == 403
            assert "disabled" in response.json()["error"]
            assert "FLOWBOT_API_KEY" in response.json()["error"]
        # The widget stays public.
        assert (
            await client.post("/channels/web/pokemon/messages", json={"userKey": "u"})
        ).is_success


async def test_list_and_export_bots(client: httpx.AsyncClient, bot_file: Path) -> None:
    listed = (await client.get("/api/bots", headers=API)).json()
    assert listed == {
        "bots": [{"id": "pokemon", "title": "Starter Pokémon", "flows": 2, "source": str(bot_file)}]
    }
    exported = await client.get("/api/bots/pokemon", headers=API)
    assert exported.status_code == 200
    assert exported.json() == export_bot(load_bot(POKEMON))
    assert (await client.get("/api/bots/digimon", headers=API)).status_code == 404


async def test_flows(client: httpx.AsyncClient) -> None:
    flows = (await client.get("/api/bots/pokemon/flows", headers=API)).json()
    assert flows == {
        "flows": [
            {"id": 1, "title": "Starter Pokémon", "entryNodeId": 1, "nodes": 7},
            {"id": 2, "title": "Fallback", "entryNodeId": 1, "nodes": 4},
        ],
        "entryFlowId": 1,
        "fallbackFlowId": 2,
    }
    assert (await client.get("/api/bots/digimon/flows", headers=API)).status_code == 404


def _pokemon() -> dict[str, Any]:
    return copy.deepcopy(export_bot(load_bot(POKEMON)))


async def test_importing_a_bad_bot_is_422_and_the_old_bot_still_answers(
    client: httpx.AsyncClient, bot_file: Path
) -> None:
    bad = _pokemon()
    bad["flows"][0]["nodes"][0]["next"] = [{"nodeId": 99}]
    bad["flows"][0]["nodes"][3]["next"][0]["where"] = {"message.text": {"regex": "("}}
    response = await client.put("/api/bots/pokemon", json=bad, headers=API)
    assert response.status_code == 422
    body = response.json()
    assert "unchanged" in body["error"]
    assert any("flow 1 node 1" in line and "99" in line for line in body["problems"])
    assert any('flow 1 node 4 next[0].where["message.text"]' in line for line in body["problems"])
    # The running bot is untouched.
    assert (await client.get("/api/bots/pokemon", headers=API)).json() == export_bot(
        load_bot(POKEMON)
    )
    user = Conversation(client, "after-bad-import")
    assert texts(await user.send()) == [WELCOME, "<cards>"]
    # and nothing was written
    assert bot_file.read_bytes() == POKEMON.read_bytes()


async def test_importing_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/bots/pokemon", content=b"{", headers=API)
    assert response.status_code == 400
    response = await client.put("/api/bots/pokemon", json=[1], headers=API)
    assert response.status_code == 422


async def test_importing_a_good_bot_replaces_the_running_one(
    client: httpx.AsyncClient, bot_file: Path
) -> None:
    user = Conversation(client, "before-import")
    await user.send()
    changed = _pokemon()
    changed["flows"][0]["nodes"][1]["data"]["message"]["text"] = "Hello, trainer!"
    changed["flows"][0]["nodes"][6]["data"]["message"]["text"] = "Pick one, please."
    response = await client.put("/api/bots/pokemon", json=changed, headers=API)
    assert response.status_code == 200
    revision = response.json().pop("revision")
    # version 1 is the bot as the server started with it (docs/studio.md)
    assert response.json() == {
        "id": "pokemon",
        "title": "Starter Pokémon",
        "flows": 2,
        "kept": "file",
        "source": str(bot_file),
        "revision": revision,
        "version": 2,
    }
    assert response.headers["ETag"] == f'"{revision}"'
    # A conversation in progress goes on with the new bot.
    assert texts(await user.send(text="hm")) == ["Pick one, please.", "<cards>"]
    assert texts(await Conversation(client, "after-import").send()) == [
        "Hello, trainer!",
        "<cards>",
    ]
    exported = (await client.get("/api/bots/pokemon", headers=API)).json()
    assert exported["flows"][0]["nodes"][1]["data"]["message"]["text"] == "Hello, trainer!"


async def test_importing_under_a_new_id_adds_a_bot(client: httpx.AsyncClient) -> None:
    flow = {
        "id": 1,
        "title": "Echo",
        "data": {"entry": 1},
        "nodes": [
            {"id": 1, "type": "entry", "data": {}, "next": [{"nodeId": 2}]},
            {
                "id": 2,
                "type": "response",
                "data": {"message": {"type": "text", "text": "You said: {{message.text}}"}},
                "next": [],
            },
        ],
    }
    response = await client.put("/api/bots/echo", json=flow, headers=API)
    assert response.status_code == 201, response.text
    assert response.json() == {
        "id": "echo",
        "title": "Echo",
        "flows": 1,
        "kept": "database",
        "source": "database",
        "revision": response.json()["revision"],
        "version": 1,
    }
    assert [bot["id"] for bot in (await client.get("/api/bots", headers=API)).json()["bots"]] == [
        "pokemon",
        "echo",
    ]
    user = Conversation(client, "echoer", bot_id="echo")
    await user.send()
    assert texts(await user.send(text="{{params}}")) == ["You said: {{params}}"]
    assert (await client.get("/chat/echo")).status_code == 200
    bad_id = await client.put("/api/bots/bad%20id", json=flow, headers=API)
    assert bad_id.status_code == 422


async def test_read_a_conversation(client: httpx.AsyncClient) -> None:
    user = Conversation(client, "reader")
    await user.send()
    await user.send(**choose("Bulbasaur"))
    response = await client.get(f"/api/conversations/{user.conversation_id}", headers=API)
    assert response.status_code == 200
    body = response.json()
    assert body["botId"] == "pokemon"
    assert body["channel"] == "web"
    assert body["userKey"] == "reader"
    assert body["navigation"] is None  # the run ended
    assert body["params"] == {"partner": "Bulbasaur"}
    assert "token" not in body
    transcript = body["transcript"]
    assert [e["direction"] for e in transcript] == ["in", "out", "out", "in", "out"]
    assert transcript[0]["message"] == {"type": "event", "event": "open"}
    assert transcript[3]["message"] == {
        "type": "postback",
        "text": "I choose you!",
        "payload": '{"pokemon": "Bulbasaur"}',
    }
    assert transcript[4]["message"] == {"type": "text", "text": "Bulbasaur! An excellent choice."}
    missing = await client.get("/api/conversations/nope", headers=API)
    assert missing.status_code == 404

    listed = (await client.get("/api/bots/pokemon/conversations", headers=API)).json()
    assert [c["id"] for c in listed["conversations"]] == [user.conversation_id]


async def test_change_navigation_moves_the_conversation(client: httpx.AsyncClient) -> None:
    user = Conversation(client, "navigated")
    await user.send()
    await user.send(**choose("Squirtle"))  # the run ends: no position
    url = f"/api/conversations/{user.conversation_id}/navigation"
    response = await client.post(url, json={"flowId": 1, "nodeId": 4}, headers=API)
    assert response.status_code == 200, response.text
    assert response.json()["navigation"] == {"flowId": 1, "nodeId": 4}
    # The next message starts at the keyboard node: its edges decide.
    assert texts(await user.send(text="hello")) == [NOT_PICKED, "<cards>"]

    # Without nodeId: the flow's entry, run by the next message.
    response = await client.post(url, json={"flowId": "2"}, headers=API)
    assert response.json()["navigation"] == {"flowId": 2, "nodeId": 1}
    assert texts(await user.send(text="hello")) == ["Sorry, I did not understand that."]


async def test_change_navigation_with_run_answers_at_once(client: httpx.AsyncClient) -> None:
    user = Conversation(client, "run-now")
    await user.send()
    await user.send(**choose("Squirtle"))
    url = f"/api/conversations/{user.conversation_id}/navigation"
    response = await client.post(url, json={"flowId": 1, "run": True}, headers=API)
    assert response.status_code == 200
    body = response.json()
    assert texts(body) == [WELCOME, "<cards>"]
    assert body["navigation"] == {"flowId": 1, "nodeId": 4}
    assert texts(await user.send(**choose("Charmander"))) == ["Charmander! An excellent choice."]


async def test_change_navigation_errors(client: httpx.AsyncClient) -> None:
    user = Conversation(client, "nav-errors")
    await user.send()
    url = f"/api/conversations/{user.conversation_id}/navigation"
    assert (await client.post(url, json={"flowId": 9}, headers=API)).status_code == 404
    unknown_node = await client.post(url, json={"flowId": 1, "nodeId": 99}, headers=API)
    assert unknown_node.status_code == 404
    assert "node 99" in unknown_node.json()["error"].replace("'", "")
    assert (await client.post(url, json={"nodeId": 1}, headers=API)).status_code == 422
    assert (
        await client.post(url, json={"flowId": 1, "run": "yes"}, headers=API)
    ).status_code == 422
    assert (await client.post(url, content=b"nope", headers=API)).status_code == 400
    missing = "/api/conversations/nope/navigation"
    assert (await client.post(missing, json={"flowId": 1}, headers=API)).status_code == 404


async def test_send_a_message_records_it(client: httpx.AsyncClient) -> None:
    user = Conversation(client, "pushed")
    await user.send()
    url = f"/api/conversations/{user.conversation_id}/messages"
    response = await client.post(url, json={"text": "Professor Oak here."}, headers=API)
    assert response.status_code == 200
    assert response.json() == {"conversationId": user.conversation_id, "sent": 1, "delivered": 0}
    message = {
        "type": "text",
        "text": "Come to my lab!",
        "buttons": [{"type": "link", "label": "Map", "uri": "https://example.org/lab"}],
    }
    response = await client.post(url, json={"message": message}, headers=API)
    assert response.status_code == 200
    transcript = (
        await client.get(f"/api/conversations/{user.conversation_id}", headers=API)
    ).json()["transcript"]
    assert [e["message"] for e in transcript[-2:]] == [
        {"type": "text", "text": "Professor Oak here."},
        message,
    ]
    assert transcript[-1]["direction"] == "out"


async def test_send_a_message_rejects_what_is_not_a_message(client: httpx.AsyncClient) -> None:
    user = Conversation(client, "bad-push")
    await user.send()
    url = f"/api/conversations/{user.conversation_id}/messages"
    cases: list[tuple[Any, str]] = [
        ({}, "$: found none"),
        ({"text": "a", "message": {"type": "text", "text": "b"}}, "$: found message, text"),
        ({"text": ""}, "text:"),
        ({"message": {"type": "sticker"}}, "message"),
        ({"message": {"type": "media"}}, "message.media.media"),
        (
            {"message": {"type": "text", "text": "x", "buttons": [{"type": "postback"}]}},
            "message.text.buttons[0]",
        ),
        (
            {
                "message": {
                    "type": "text",
                    "text": "x",
                    "buttons": [{"type": "postback", "label": "a", "payload": "p" * 1001}],
                }
            },
            "messages[0].buttons[0].payload: 1001 characters",
        ),
    ]
    for body, expected in cases:
        response = await client.post(url, json=body, headers=API)
        assert response.status_code == 422, (body, response.text)
        problems = response.json()["problems"]
        assert any(line.startswith(expected) for line in problems), (body, problems)
    assert (await client.post(url, content=b"{", headers=API)).status_code == 400
    missing = await client.post("/api/conversations/nope/messages", json={"text": "x"}, headers=API)
    assert missing.status_code == 404


async def test_openapi_describes_every_route(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    described = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    app = client.app  # type: ignore[attr-defined]
    routed = set()
    for route in app.routes:
        if isinstance(route, Route) and (
            route.path.startswith(
                (
                    "/api/bots",
                    "/api/conversations",
                    "/api/handoffs",
                    "/api/studio",
                    "/api/templates",
                    "/channels",
                    "/healthz",
                )
            )
        ):
            path = route.path.replace("{bot_id}", "{botId}").replace(
                "{conversation_id}", "{conversationId}"
            )
            routed |= {(path, method) for method in route.methods or () if method != "HEAD"}
        assert not isinstance(route, Mount) or route.path == "/static"
    assert routed == described
    json.dumps(spec)  # plain JSON all the way down


async def test_the_docs_page_loads_only_what_this_server_serves(
    client: httpx.AsyncClient,
) -> None:
    """/api/docs is Swagger UI from the package: every script and stylesheet is this server's."""
    docs = await client.get("/api/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert "//" not in docs.text.replace("<!doctype html>", "")  # no other host, no CDN
    linked = re.findall(r"(?:src|href)='([^']+)'", docs.text)
    assert {url.rsplit("/", 1)[-1] for url in linked} == {
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "api-docs.js",
        "api-docs.css",
        "openapi.json",
    }
    for url in linked:
        path = f"/api/{url}"  # relative to /api/docs
        plain = await client.get(path, headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200, path
        if url.endswith(".js"):
            assert plain.headers["content-type"].startswith("text/javascript")
        if "/assets/" in url:
            assert "immutable" in plain.headers["cache-control"]
            assert "content-encoding" not in plain.headers
            gzipped = await client.get(path, headers={"Accept-Encoding": "gzip, br"})
            assert gzipped.headers["content-encoding"] == "gzip"
            assert gzipped.content == plain.content  # (httpx decodes it)
    # another digest (a stale page's), or a file that is not an asset: nothing
    stale = await client.get("/api/docs/assets/0123456789abcdef/swagger-ui-bundle.js")
    assert stale.status_code == 404
    assert (await client.get("/api/docs/assets/x/SHA256SUMS")).status_code == 404


def test_the_vendored_swagger_ui_is_the_one_its_sums_name() -> None:
    """static/swagger-ui/ holds swagger-ui-dist's files as npm ships them, with its licence."""
    folder = SWAGGER_UI_DIR
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    package = json.loads((folder / "package.json").read_text())
    assert package["name"] == "swagger-ui-dist"
    assert package["license"] == "Apache-2.0"
    assert swagger_ui_version() == package["version"]
    assert "Apache License" in (folder / "LICENSE").read_text()


async def test_refusals_of_the_key_check_are_the_same_everywhere(
    client: httpx.AsyncClient,
) -> None:
    """The API's group answers the key check before its route runs, with the same body."""
    wrong = {"error": "send the API key as 'Authorization: Bearer <key>' or 'X-API-Key'"}
    for method, path in [
        ("GET", "/api/bots"),
        ("GET", "/api/bots/digimon"),
        ("PUT", "/api/bots/pokemon"),
        ("GET", "/api/conversations/nope"),
        ("POST", "/api/conversations/nope/navigation"),
        ("POST", "/api/conversations/nope/messages"),
    ]:
        response = await client.request(method, path, content=b"{", headers={"X-API-Key": "x"})
        assert (response.status_code, response.json()) == (403, wrong), (method, path)
    # a method the route does not take is answered first, key or not
    refused = await client.delete("/api/bots")
    assert refused.status_code == 405
    assert set(refused.headers["allow"].split(", ")) == {"GET", "HEAD"}
    # an id no store can look up names nothing
    nul = await client.get("/api/conversations/a%00b", headers=API)
    assert (nul.status_code, nul.json()) == (404, {"error": "no such conversation"})
    # the document and its reference are public
    assert (await client.get("/api/openapi.json")).status_code == 200
    assert (await client.get("/api/docs")).status_code == 200


async def test_a_bad_body_is_refused_field_by_field(client: httpx.AsyncClient) -> None:
    """422: one `problems` line per field, its path first; strict, as the schema reads."""
    user = Conversation(client, "bad-bodies")
    await user.send()
    base = f"/api/conversations/{user.conversation_id}"
    cases: list[tuple[str, Any, list[str]]] = [
        ("navigation", {"nodeId": 1}, ["flowId: Field required"]),
        ("navigation", [1], ["$: expected an object"]),
        (
            "navigation",
            {"flowId": True, "nodeId": " ", "run": "yes"},
            [
                "flowId: a non-empty string or an integer",
                "nodeId: a non-empty string or an integer",
                "run: Input should be a valid boolean",
            ],
        ),
        ("navigation", {"flowId": 1, "run": None}, ["run: Input should be a valid boolean"]),
        ("messages", {"text": None}, ["text: leave it out rather than send null"]),
        ("messages", {"messages": []}, ["messages: List should have at least 1 item"]),
        # (true is not the integer 1, as the Message schema says)
        (
            "messages",
            {"message": {"type": "text", "text": "x", "delay": True}},
            [
                "message.text.delay: Input should be a valid integer",
                "message.text.delay: Input should be a valid string",
            ],
        ),
        (
            "messages",
            {
                "messages": [
                    {"type": "text", "text": "x"},
                    {"type": "cards", "cards": [{"title": "a"}, {"buttons": [{"type": "link"}]}]},
                ]
            },
            [
                "messages[1].cards.cards[1].buttons[0].link.label: Field required",
                "messages[1].cards.cards[1].buttons[0].link.uri: Field required",
            ],
        ),
        (
            "messages",
            {
                "messages": [
                    {"type": "text", "text": "x"},
                    {
                        "type": "cards",
                        "cards": [
                            {"title": "a"},
                            {
                                "buttons": [
                                    {"type": "postback", "label": "b", "payload": "p" * 1001}
                                ]
                            },
                        ],
                    },
                ],
                "quickReplies": [{"label": "q", "payload": "q" * 1002}],
            },
            [
                "quickReplies[0].payload: 1002 characters, at most 1000",
                "messages[1].cards[1].buttons[0].payload: 1001 characters, at most 1000",
            ],
        ),
    ]
    for route, body, expected in cases:
        response = await client.post(f"{base}/{route}", json=body, headers=API)
        assert response.status_code == 422, (body, response.text)
        problems = response.json()["problems"]
        assert len(problems) == len(expected), (body, problems)
        for line, start in zip(problems, expected, strict=True):
            assert line.startswith(start), (body, problems)
        Error.model_validate(response.json())  # the document's error body


async def test_an_import_is_read_strictly_too(client: httpx.AsyncClient) -> None:
    """A bot the format's loader would take with "true" for true is refused, by its path."""
    lax = _pokemon()
    lax["preference"]["sessionBehavior"] = {"restoreNavigation": "yes"}
    response = await client.put("/api/bots/pokemon", json=lax, headers=API)
    assert response.status_code == 422, response.text
    assert response.json()["problems"] == [
        "preference.sessionBehavior.restoreNavigation: Input should be a valid boolean"
    ]
    # what the API exports, it takes back
    exported = (await client.get("/api/bots/pokemon", headers=API)).json()
    assert (await client.put("/api/bots/pokemon", json=exported, headers=API)).status_code == 200


def test_the_document_is_generated_from_the_models() -> None:
    """Each body's schema is its model's; the format's models keep their camelCase keys."""
    document = openapi_document()
    schemas = document["components"]["schemas"]
    paths = document["paths"]

    def body_of(path: str, method: str) -> Any:
        return paths[path][method]["requestBody"]["content"]["application/json"]["schema"]

    assert body_of("/api/conversations/{conversationId}/messages", "post") == {
        "$ref": "#/components/schemas/SendMessages"
    }
    assert body_of("/api/bots/{botId}", "put") == {"$ref": "#/components/schemas/BotImport"}
    assert schemas["BotImport"]["anyOf"] == [
        {"$ref": "#/components/schemas/Bot"},
        {"$ref": "#/components/schemas/Flow"},
    ]
    generated = Bot.model_json_schema(ref_template=REF, schema_generator=Schemas)
    generated.pop("$defs")
    assert schemas["Bot"] == generated
    assert "entryFlowId" in schemas["Preference"]["properties"]
    assert schemas["TextMessage"]["additionalProperties"] is True  # extra keys are kept
    assert schemas["Error"] == {
        **Error.model_json_schema(schema_generator=Schemas, mode="serialization")
    }
    # every $ref names a schema of the document
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document)))
    assert refs <= set(schemas)
