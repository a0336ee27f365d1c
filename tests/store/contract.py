"""The one contract every ``Store`` passes.

A test module subclasses ``StoreContract`` (so pytest collects the tests
there, once per store) and provides a ``make_store`` fixture: a callable that
returns a new, not yet started store over the SAME storage every time it is
called, so that a second store sees what the first one wrote. A store that
keeps nothing across instances sets ``persistent = False``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar

import pytest

from flowbot.store import (
    ClaimedEvent,
    ConflictError,
    ConversationExistsError,
    ConversationNotFoundError,
    DeliveryAnsweredError,
    OutboxEvent,
    Store,
    TranscriptEntry,
)
from flowbot.store.base import new_conversation

MakeStore = Callable[[], Store]

AT = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)


def said(text: str, *, direction: str = "in", at: datetime = AT) -> TranscriptEntry:
    return TranscriptEntry(direction=direction, message={"type": "text", "text": text}, at=at)  # type: ignore[arg-type]


def texts(entries: list[TranscriptEntry]) -> list[str]:
    return [entry.message["text"] for entry in entries]


def sample_state(step: int) -> dict[str, Any]:
    return {
        "navigation": {"current": {"flowId": 1, "nodeId": step, "visitCount": 1}, "prev": None},
        "params": {"step": step, "name": "피카츄"},
        "backStack": [{"flowId": 1, "nodeId": n} for n in range(step)],
    }


def sample_bot(title: str) -> dict[str, Any]:
    """A bot file's JSON, as `PUT /api/bots/{id}` keeps it."""
    return {
        "title": title,
        "flows": [
            {
                "id": 1,
                "title": "Start",
                "nodes": [
                    {"id": 1, "type": "entry", "next": [{"nodeId": 2}]},
                    {
                        "id": 2,
                        "type": "response",
                        "data": {"message": {"type": "text", "text": f"Hi from {title}"}},
                    },
                ],
            }
        ],
        "preference": {"entryFlowId": 1},
    }


HOOK = "https://crm.example/hook"
OTHER_HOOK = "https://other.example/hook"


def outbox_event(name: str, webhook: str = HOOK) -> OutboxEvent:
    """An event as the dispatcher writes it: its id, and its JSON object as text."""
    return OutboxEvent(webhook, f"id-{name}", f'{{"id":"id-{name}","type":"t","data":"{name}"}}')


def names(claimed: list[ClaimedEvent]) -> list[str]:
    return [event.event_id.removeprefix("id-") for event in claimed]


class StoreContract:
    persistent: ClassVar[bool] = True

    @pytest.fixture
    async def store(self, make_store: MakeStore) -> AsyncIterator[Store]:
        store = make_store()
        await store.start()
        yield store
        await store.close()

    # -- conversations ------------------------------------------------------

    async def test_create_then_find_and_get(self, store: Store) -> None:
        created = await store.create_conversation("pokemon", "web", "user-1", "secret")

        assert created.bot_id == "pokemon"
        assert created.channel == "web"
        assert created.user_key == "user-1"
        assert created.token == "secret"
        assert created.state is None
        assert created.version == 0
        assert created.created_at.tzinfo is not None
        assert created.updated_at == created.created_at
        assert await store.find_conversation("pokemon", "web", "user-1") == created
        assert await store.get_conversation(created.id) == created

    async def test_unknown_conversations_are_none(self, store: Store) -> None:
        await store.create_conversation("pokemon", "web", "user-1", "secret")

        assert await store.find_conversation("pokemon", "web", "user-2") is None
        assert await store.find_conversation("pokemon", "line", "user-1") is None
        assert await store.find_conversation("other", "web", "user-1") is None
        assert await store.get_conversation("no-such-id") is None

    async def test_one_conversation_per_bot_channel_and_user(self, store: Store) -> None:
        first = await store.create_conversation("pokemon", "web", "user-1", "secret")

        with pytest.raises(ConversationExistsError) as raised:
            await store.create_conversation("pokemon", "web", "user-1", "another")
        assert isinstance(raised.value, ConflictError)
        assert await store.find_conversation("pokemon", "web", "user-1") == first

        others = [
            await store.create_conversation("pokemon", "line", "user-1", "t"),
            await store.create_conversation("pokemon", "web", "user-2", "t"),
            await store.create_conversation("weather", "web", "user-1", "t"),
        ]
        assert len({first.id, *(other.id for other in others)}) == 4

    async def test_list_conversations_of_one_bot_most_recent_first(self, store: Store) -> None:
        older = await store.create_conversation("pokemon", "web", "a", "t")
        newer = await store.create_conversation("pokemon", "web", "b", "t")
        await store.create_conversation("weather", "web", "a", "t")
        await asyncio.sleep(0.002)
        await store.save_turn(older.id, sample_state(1), [], 0)

        listed = await store.list_conversations("pokemon")

        assert [conversation.id for conversation in listed] == [older.id, newer.id]
        assert listed[0].state == sample_state(1)
        assert [c.id for c in await store.list_conversations("pokemon", limit=1)] == [older.id]
        assert await store.list_conversations("pokemon", limit=0) == []
        assert await store.list_conversations("nobody") == []

    # -- save_turn ----------------------------------------------------------

    async def test_save_turn_stores_state_and_bumps_version(self, store: Store) -> None:
        created = await store.create_conversation("pokemon", "web", "user-1", "secret")

        first = await store.save_turn(created.id, sample_state(1), [said("hi")], 0)
        second = await store.save_turn(created.id, sample_state(2), [said("next")], first)

        assert (first, second) == (1, 2)
        loaded = await store.get_conversation(created.id)
        assert loaded is not None
        assert loaded.state == sample_state(2)
        assert loaded.version == 2
        assert loaded.created_at == created.created_at
        assert loaded.updated_at > created.updated_at
        assert texts(await store.transcript(created.id)) == ["hi", "next"]

    async def test_stale_version_is_a_conflict_and_writes_nothing(self, store: Store) -> None:
        created = await store.create_conversation("pokemon", "web", "user-1", "secret")
        await store.save_turn(created.id, sample_state(1), [said("first")], 0)
        before = await store.get_conversation(created.id)

        for stale in (0, 2, -1):
            with pytest.raises(ConflictError):
                await store.save_turn(created.id, sample_state(9), [said("lost")], stale)

        assert await store.get_conversation(created.id) == before
        assert texts(await store.transcript(created.id)) == ["first"]

    async def test_save_turn_of_unknown_conversation(self, store: Store) -> None:
        with pytest.raises(ConversationNotFoundError):
            await store.save_turn("no-such-id", sample_state(1), [said("hi")], 0)
        with pytest.raises(ConversationNotFoundError):
            await store.append_transcript("no-such-id", [said("hi")])

    async def test_bad_values_are_refused_with_nothing_written(self, store: Store) -> None:
        created = await store.create_conversation("pokemon", "web", "user-1", "secret")
        await store.save_turn(created.id, sample_state(1), [said("first")], 0)
        before = await store.get_conversation(created.id)

        with pytest.raises(TypeError):
            await store.save_turn(created.id, {"when": object()}, [said("x")], 1)
        with pytest.raises(TypeError):
            await store.save_turn(created.id, sample_state(2), [said("x"), said_object()], 1)
        with pytest.raises(ValueError, match="direction"):
            await store.save_turn(created.id, sample_state(2), [said("x", direction="up")], 1)

        assert await store.get_conversation(created.id) == before
        assert texts(await store.transcript(created.id)) == ["first"]

    async def test_returned_values_are_copies(self, store: Store) -> None:
        created = await store.create_conversation("pokemon", "web", "user-1", "secret")
        state = sample_state(1)
        entry = said("hi")
        await store.save_turn(created.id, state, [entry], 0)
        state["params"]["name"] = "changed after saving"
        entry.message["text"] = "changed after saving"

        loaded = await store.get_conversation(created.id)
        assert loaded is not None and loaded.state is not None
        loaded.state["params"]["name"] = "changed after loading"

        again = await store.get_conversation(created.id)
        assert again is not None
        assert again.state == sample_state(1)
        assert texts(await store.transcript(created.id)) == ["hi"]

    async def test_the_first_turn_creates_the_conversation(self, store: Store) -> None:
        fresh = new_conversation("pokemon", "web", "user-1", "secret")
        assert await store.find_conversation("pokemon", "web", "user-1") is None

        version = await store.save_first_turn(
            fresh, sample_state(1), [said("hi")], payloads={"k": "v"}, delivery="web/1"
        )

        assert version == 1
        loaded = await store.find_conversation("pokemon", "web", "user-1")
        assert loaded is not None
        assert (loaded.id, loaded.token, loaded.version) == (fresh.id, "secret", 1)
        assert loaded.state == sample_state(1)
        assert loaded.created_at == fresh.created_at
        assert texts(await store.transcript(fresh.id)) == ["hi"]
        assert await store.get_payload("k") == "v"
        assert await store.has_delivery("web/1")
        assert await store.save_turn(fresh.id, sample_state(2), [said("more")], 1) == 2
        assert texts(await store.transcript(fresh.id)) == ["hi", "more"]

    async def test_a_second_first_turn_for_the_user_writes_nothing(self, store: Store) -> None:
        first = new_conversation("pokemon", "web", "user-1", "secret")
        await store.save_first_turn(first, sample_state(1), [said("hi")])
        rival = new_conversation("pokemon", "web", "user-1", "other")

        with pytest.raises(ConversationExistsError):
            await store.save_first_turn(rival, sample_state(9), [said("x")], payloads={"p": "x"})

        assert await store.get_conversation(rival.id) is None
        assert await store.get_payload("p") is None
        found = await store.find_conversation("pokemon", "web", "user-1")
        assert found is not None and found.id == first.id

    async def test_a_failed_first_turn_leaves_no_conversation(self, store: Store) -> None:
        fresh = new_conversation("pokemon", "web", "user-1", "secret")
        with pytest.raises(TypeError):
            await store.save_first_turn(fresh, {"when": object()}, [said("hi")])
        assert await store.find_conversation("pokemon", "web", "user-1") is None
        assert await store.get_conversation(fresh.id) is None

    # -- transcript ---------------------------------------------------------

    async def test_transcript_order_limit_and_times(self, store: Store) -> None:
        created = await store.create_conversation("pokemon", "web", "user-1", "secret")
        seoul = timezone(timedelta(hours=9))
        version = 0
        for turn in range(5):
            at = datetime(2024, 5, 17, 18, 0, turn, 500, tzinfo=seoul)
            entries = [said(f"in {turn}", at=at), said(f"out {turn}", direction="out", at=at)]
            version = await store.save_turn(created.id, sample_state(turn), entries, version)

        everything = await store.transcript(created.id)
        assert texts(everything) == [
            f"{kind} {turn}" for turn in range(5) for kind in ("in", "out")
        ]
        assert [entry.direction for entry in everything] == ["in", "out"] * 5
        assert everything[0].at == datetime(2024, 5, 17, 9, 0, 0, 500, tzinfo=UTC)
        assert everything[0].at.utcoffset() == timedelta(0)
        assert texts(await store.transcript(created.id, limit=3)) == ["out 3", "in 4", "out 4"]
        assert await store.transcript(created.id, limit=0) == []
        assert await store.transcript("no-such-id") == []

    async def test_append_transcript_keeps_state_and_version(self, store: Store) -> None:
        created = await store.create_conversation("pokemon", "web", "user-1", "secret")
        await store.save_turn(created.id, sample_state(1), [said("hi")], 0)

        await store.append_transcript(created.id, [said("pushed", direction="out")])
        await store.append_transcript(created.id, [])
        version = await store.save_turn(created.id, sample_state(2), [said("again")], 1)

        assert version == 2
        assert texts(await store.transcript(created.id)) == ["hi", "pushed", "again"]
        loaded = await store.get_conversation(created.id)
        assert loaded is not None and loaded.state == sample_state(2)

    # -- payload keys -------------------------------------------------------

    async def test_payload_keys_round_trip(self, store: Store) -> None:
        long_payload = '{"action":"buy","item":"' + "포켓볼" * 200 + '"}'

        assert await store.get_payload("k1") is None
        await store.put_payload("k1", long_payload)
        await store.put_payload("k2", "")
        assert await store.get_payload("k1") == long_payload
        assert await store.get_payload("k2") == ""
        await store.put_payload("k1", "replaced")
        assert await store.get_payload("k1") == "replaced"

    async def test_payload_keys_saved_with_the_turn(self, store: Store) -> None:
        created = await store.create_conversation("pokemon", "line", "U1", "t")
        records = {"key-a": '{"t":"A","p":"' + "x" * 900 + '"}', "key-b": '{"t":"B"}'}

        version = await store.save_turn(
            created.id, sample_state(1), [said("hi")], 0, payloads=records
        )
        await store.put_payloads({"key-c": "c", "key-a": records["key-a"]})

        assert version == 1
        assert [await store.get_payload(k) for k in ("key-a", "key-b", "key-c")] == [
            records["key-a"],
            records["key-b"],
            "c",
        ]

    async def test_a_failed_save_keeps_no_payload_keys(self, store: Store) -> None:
        created = await store.create_conversation("pokemon", "line", "U1", "t")
        await store.save_turn(created.id, sample_state(1), [], 0)

        with pytest.raises(ConflictError):
            await store.save_turn(created.id, sample_state(2), [], 0, payloads={"lost": "x"})

        assert await store.get_payload("lost") is None

    async def test_purge_forgets_keys_not_renewed_since(self, store: Store) -> None:
        await store.put_payloads({"old": "o", "renewed": "r"})
        await asyncio.sleep(0.01)
        cut = datetime.now(UTC)
        await asyncio.sleep(0.01)
        await store.put_payloads({"renewed": "r", "new": "n"})

        await store.purge(cut, cut)

        assert [await store.get_payload(k) for k in ("old", "renewed", "new")] == [None, "r", "n"]

    # -- deliveries ----------------------------------------------------------

    async def test_a_delivery_is_answered_once(self, store: Store) -> None:
        created = await store.create_conversation("pokemon", "facebook", "psid", "t")
        assert await store.has_delivery("facebook:m_1") is False

        await store.save_turn(created.id, sample_state(1), [said("hi")], 0, delivery="facebook:m_1")
        with pytest.raises(DeliveryAnsweredError):
            await store.save_turn(
                created.id,
                sample_state(2),
                [said("again")],
                1,
                delivery="facebook:m_1",
                payloads={"never": "stored"},
            )

        assert await store.has_delivery("facebook:m_1") is True
        assert await store.has_delivery("facebook:m_2") is False
        loaded = await store.get_conversation(created.id)
        assert loaded is not None and (loaded.version, loaded.state) == (1, sample_state(1))
        assert texts(await store.transcript(created.id)) == ["hi"]
        assert await store.get_payload("never") is None

    async def test_a_delivery_keeps_its_answer(self, store: Store) -> None:
        conversation = new_conversation("pokemon", "web", "visitor", "t")
        await store.save_first_turn(
            conversation, sample_state(1), [said("hi")], delivery="web/c/m1", answer='{"a":1}'
        )
        await store.save_turn(conversation.id, sample_state(2), [], 1, delivery="web/c/m2")

        assert await store.get_delivery("web/c/m1") == ('{"a":1}',)
        assert await store.get_delivery("web/c/m2") == (None,)
        assert await store.get_delivery("web/c/m3") is None
        with pytest.raises(DeliveryAnsweredError):
            await store.save_turn(
                conversation.id, sample_state(3), [], 2, delivery="web/c/m1", answer='{"a":2}'
            )
        assert await store.get_delivery("web/c/m1") == ('{"a":1}',)

    async def test_a_conflicting_save_remembers_no_delivery(self, store: Store) -> None:
        created = await store.create_conversation("pokemon", "line", "U1", "t")
        await store.save_turn(created.id, sample_state(1), [], 0)

        with pytest.raises(ConflictError):
            await store.save_turn(created.id, sample_state(2), [], 0, delivery="line:e1")

        assert await store.has_delivery("line:e1") is False
        assert await store.save_turn(created.id, sample_state(2), [], 1, delivery="line:e1") == 2

    async def test_purge_forgets_old_deliveries(self, store: Store) -> None:
        created = await store.create_conversation("pokemon", "line", "U1", "t")
        await store.save_turn(created.id, sample_state(1), [], 0, delivery="line:old")
        await asyncio.sleep(0.01)
        cut = datetime.now(UTC)
        await asyncio.sleep(0.01)
        await store.save_turn(created.id, sample_state(2), [], 1, delivery="line:new")

        await store.purge(cut, cut)

        assert await store.has_delivery("line:old") is False
        assert await store.has_delivery("line:new") is True

    # -- bots imported through the API ----------------------------------------

    async def test_a_bot_is_kept_and_replaced_under_its_id(self, store: Store) -> None:
        assert await store.list_bots() == []
        assert await store.get_bot("echo") is None
        await store.put_bot("echo", sample_bot("Echo"))
        await store.put_bot("Alpha", sample_bot("Alpha"))
        await store.put_bot("beta", {"id": 1, "title": "A flow file", "nodes": []})

        first = await store.get_bot("echo")
        assert first is not None
        assert (first.bot_id, first.bot) == ("echo", sample_bot("Echo"))
        assert first.updated_at.tzinfo is not None
        # ordered by id, code point by code point (not by a database collation)
        assert [stored.bot_id for stored in await store.list_bots()] == ["Alpha", "beta", "echo"]

        await asyncio.sleep(0.01)
        await store.put_bot("echo", sample_bot("Echo 2"))
        second = await store.get_bot("echo")
        assert second is not None
        assert second.bot == sample_bot("Echo 2")
        assert second.updated_at > first.updated_at
        assert len(await store.list_bots()) == 3
        assert await store.get_bot("ECHO") is None

    async def test_stored_bots_are_copies(self, store: Store) -> None:
        bot = sample_bot("Echo")
        await store.put_bot("echo", bot)
        bot["title"] = "changed after put"
        stored = await store.get_bot("echo")
        assert stored is not None
        stored.bot["flows"].clear()
        (listed,) = await store.list_bots()
        assert listed.bot == sample_bot("Echo")

    async def test_a_bot_that_is_not_json_is_refused_with_nothing_written(
        self, store: Store
    ) -> None:
        await store.put_bot("echo", sample_bot("Echo"))
        with pytest.raises((TypeError, ValueError)):
            await store.put_bot("echo", {"title": object()})
        with pytest.raises((TypeError, ValueError)):
            await store.put_bot("other", {"title": {1, 2}})
        assert [(s.bot_id, s.bot) for s in await store.list_bots()] == [
            ("echo", sample_bot("Echo"))
        ]

    async def test_bots_keep_korean_emoji_nul_and_big_numbers(self, store: Store) -> None:
        bot = sample_bot("포켓몬 😀")
        bot["flows"][0]["nodes"][1]["data"]["message"]["text"] = "a\x00b 안녕 ⚡"
        bot["flows"][0]["nodes"][1]["data"]["big"] = 2**70
        await store.put_bot("포켓몬", bot)
        stored = await store.get_bot("포켓몬")
        assert stored is not None and stored.bot == bot

    # -- the webhook events' outbox ------------------------------------------

    async def test_a_turns_events_are_in_the_outbox_iff_the_turn_is_saved(
        self, store: Store
    ) -> None:
        fresh = new_conversation("pokemon", "web", "user-1", "secret")
        await store.save_first_turn(
            fresh, sample_state(1), [said("hi")], events=[outbox_event("a"), outbox_event("b")]
        )
        rival = new_conversation("pokemon", "web", "user-1", "other")
        with pytest.raises(ConversationExistsError):
            await store.save_first_turn(rival, sample_state(1), [], events=[outbox_event("x1")])
        with pytest.raises(TypeError):
            await store.save_first_turn(
                new_conversation("pokemon", "web", "user-2", "t"),
                {"when": object()},
                [],
                events=[outbox_event("x2")],
            )
        await store.save_turn(fresh.id, sample_state(2), [], 1, events=[outbox_event("c")])
        with pytest.raises(ConflictError):
            await store.save_turn(fresh.id, sample_state(3), [], 1, events=[outbox_event("x3")])
        with pytest.raises(ConversationNotFoundError):
            await store.save_turn("no-such-id", sample_state(3), [], 0, events=[outbox_event("x4")])
        with pytest.raises(TypeError):
            await store.save_turn(fresh.id, {"when": object()}, [], 2, events=[outbox_event("x5")])
        await store.save_turn(fresh.id, sample_state(3), [], 2, delivery="line:1")
        with pytest.raises(DeliveryAnsweredError):
            await store.save_turn(
                fresh.id, sample_state(4), [], 3, delivery="line:1", events=[outbox_event("x6")]
            )
        await store.save_turn(fresh.id, sample_state(4), [], 3, events=[])

        claimed = await store.claim_events(HOOK, "relay-1", 50, 30.0)

        assert names(claimed) == ["a", "b", "c"]
        assert claimed[0] == ClaimedEvent(
            claimed[0].seq, HOOK, "id-a", '{"id":"id-a","type":"t","data":"a"}', 0
        )
        assert [event.seq for event in claimed] == sorted(event.seq for event in claimed)
        assert await store.count_events() == {"pending": 3}

    async def test_events_outside_a_turn_and_per_webhook_claims(self, store: Store) -> None:
        await store.add_events([outbox_event(str(n)) for n in range(5)])
        await store.add_events([outbox_event("other", OTHER_HOOK)])
        await store.add_events([])

        first = await store.claim_events(HOOK, "relay-1", 2, 30.0)
        second = await store.claim_events(HOOK, "relay-1", 10, 30.0)

        assert (names(first), names(second)) == (["0", "1"], ["2", "3", "4"])
        assert await store.claim_events(HOOK, "relay-2", 10, 30.0) == []
        assert names(await store.claim_events(OTHER_HOOK, "relay-2", 10, 30.0)) == ["other"]
        assert await store.claim_events(HOOK, "relay-1", 0, 30.0) == []

    async def test_a_row_its_writer_sends_waits_then_goes_to_a_relay(self, store: Store) -> None:
        soon = datetime.now(UTC) + timedelta(seconds=0.3)
        rows = [
            OutboxEvent(HOOK, f"send-{name}", f'{{"id":"{name}"}}', not_before=soon)
            for name in ("sent", "stranded")
        ]
        conversation = await store.create_conversation("pokemon", "line", "U1", "t")
        await store.save_turn(conversation.id, sample_state(1), [], 0, events=rows[:1])
        await store.add_events(rows[1:])

        assert await store.claim_events(HOOK, "relay", 10, 30.0) == []
        await store.mark_sent(["send-sent"])
        await asyncio.sleep(0.4)

        claimed = await store.claim_events(HOOK, "relay", 10, 30.0)
        assert [event.event_id for event in claimed] == ["send-stranded"]
        await store.mark_sent(["send-stranded"])  # the relay has it: left to the relay
        assert (await store.count_events()).get("delivered") == 1
        await store.mark_delivered([claimed[0].seq], "relay")
        assert (await store.count_events()).get("delivered") == 2

    async def test_a_claim_holds_until_its_lease_runs_out(self, store: Store) -> None:
        await store.add_events([outbox_event("a"), outbox_event("b")])
        dead = await store.claim_events(HOOK, "dead-relay", 10, 0.2)
        assert await store.claim_events(HOOK, "live-relay", 10, 30.0) == []

        await asyncio.sleep(0.3)
        taken = await store.claim_events(HOOK, "live-relay", 10, 30.0)

        # the same rows and ids: the receiver sees the same events again
        assert [(e.seq, e.event_id) for e in taken] == [(e.seq, e.event_id) for e in dead]
        # the first claimer's late marks are not its to make any more
        await store.mark_delivered([e.seq for e in dead], "dead-relay")
        assert await store.mark_failed([e.seq for e in dead], "dead-relay", "x", None, 1) == []
        assert await store.count_events() == {"pending": 2}
        await store.mark_delivered([e.seq for e in taken], "live-relay")
        assert await store.count_events() == {"delivered": 2}
        assert await store.claim_events(HOOK, "live-relay", 10, 30.0) == []

    async def test_released_claims_are_claimed_again_at_once(self, store: Store) -> None:
        await store.add_events([outbox_event("a"), outbox_event("b")])
        await store.claim_events(HOOK, "closing-relay", 1, 30.0)
        await store.claim_events(HOOK, "other-relay", 1, 30.0)

        await store.release_claims("closing-relay")
        assert names(await store.claim_events(HOOK, "next", 10, 30.0)) == ["a"]
        await store.release_claims(None)
        assert names(await store.claim_events(HOOK, "next", 10, 30.0)) == ["a", "b"]

    async def test_a_failed_attempt_holds_back_the_webhook_until_its_retry(
        self, store: Store
    ) -> None:
        await store.add_events([outbox_event("a"), outbox_event("b")])
        await store.add_events([outbox_event("other", OTHER_HOOK)])
        batch = await store.claim_events(HOOK, "relay", 10, 30.0)

        given_up = await store.mark_failed([e.seq for e in batch], "relay", "HTTP 503", 0.3, 3)
        await store.add_events([outbox_event("c")])

        assert given_up == []
        # newer events wait behind the failed batch: they arrive in order
        assert await store.claim_events(HOOK, "relay", 10, 30.0) == []
        assert names(await store.claim_events(OTHER_HOOK, "relay", 10, 30.0)) == ["other"]
        await asyncio.sleep(0.35)
        retried = await store.claim_events(HOOK, "relay", 10, 30.0)
        assert names(retried) == ["a", "b", "c"]
        assert [e.attempts for e in retried] == [1, 1, 0]
        assert [e.event_id for e in retried[:2]] == [e.event_id for e in batch]

    async def test_events_are_given_up_after_the_last_attempt_or_a_refusal(
        self, store: Store
    ) -> None:
        await store.add_events([outbox_event("a")])
        for attempt in range(1, 3):
            (claimed,) = await store.claim_events(HOOK, "relay", 10, 30.0)
            assert claimed.attempts == attempt - 1
            assert await store.mark_failed([claimed.seq], "relay", "HTTP 500", 0.0, 2) == (
                [] if attempt < 2 else [claimed.seq]
            )
        await store.add_events([outbox_event("b"), outbox_event("c")])
        refused = await store.claim_events(HOOK, "relay", 1, 30.0)
        assert names(refused) == ["b"]

        assert await store.mark_failed([refused[0].seq], "relay", "HTTP 400", None, 10) == [
            refused[0].seq
        ]
        assert names(await store.claim_events(HOOK, "relay", 10, 30.0)) == ["c"]
        assert await store.count_events() == {"failed": 2, "pending": 1}

    async def test_purge_events_keeps_what_is_recent_or_pending(self, store: Store) -> None:
        await store.add_events([outbox_event(name) for name in ("sent", "refused", "stranded")])
        sent, refused = await store.claim_events(HOOK, "relay", 2, 30.0)
        await store.mark_delivered([sent.seq], "relay")
        await store.mark_failed([refused.seq], "relay", "HTTP 410", None, 10)
        await store.release_claims(None)
        await asyncio.sleep(0.01)
        cut = datetime.now(UTC)
        await asyncio.sleep(0.01)
        await store.add_events([outbox_event("new")])

        await store.purge_events(cut - timedelta(hours=1), cut - timedelta(hours=1))
        assert await store.count_events() == {"delivered": 1, "failed": 1, "pending": 2}
        await store.purge_events(cut, cut - timedelta(hours=1))
        assert await store.count_events() == {"failed": 1, "pending": 2}
        await store.purge_events(cut, cut)
        assert names(await store.claim_events(HOOK, "relay", 10, 30.0)) == ["new"]
        assert await store.count_events() == {"pending": 1}

    # -- health, restart, text, concurrency ---------------------------------

    async def test_ping_and_start_twice(self, store: Store) -> None:
        assert await store.ping() is True
        await store.start()
        assert await store.ping() is True

    async def test_data_survives_a_restart(self, make_store: MakeStore) -> None:
        """Persistent stores keep everything; the memory store, by design, nothing."""
        first = make_store()
        await first.start()
        created = await first.create_conversation("pokemon", "web", "user-1", "secret")
        await first.save_turn(created.id, sample_state(3), [said("kept")], 0)
        await first.put_payload("k", "payload")
        await first.save_turn(created.id, sample_state(3), [], 1, delivery="line:event-1")
        await first.put_bot("echo", sample_bot("Echo"))
        await first.add_events([outbox_event("kept")])
        await first.close()

        second = make_store()
        await second.start()
        try:
            loaded = await second.find_conversation("pokemon", "web", "user-1")
            if not self.persistent:
                assert loaded is None
                assert await second.get_payload("k") is None
                assert await second.has_delivery("line:event-1") is False
                assert await second.list_bots() == []
                assert await second.count_events() == {}
                return
            assert loaded is not None
            assert loaded.state == sample_state(3)
            assert loaded.version == 2
            assert texts(await second.transcript(created.id)) == ["kept"]
            assert await second.get_payload("k") == "payload"
            assert await second.has_delivery("line:event-1") is True
            assert [(s.bot_id, s.bot) for s in await second.list_bots()] == [
                ("echo", sample_bot("Echo"))
            ]
            assert names(await second.claim_events(HOOK, "relay", 10, 30.0)) == ["kept"]
            assert await second.save_turn(created.id, sample_state(4), [said("more")], 2) == 3
        finally:
            await second.close()

    async def test_korean_and_emoji_round_trip(self, store: Store) -> None:
        user = "사용자-😀"
        created = await store.create_conversation("포켓몬", "카카오", user, "토큰")
        state = {"params": {"이름": "이상해씨", "답": "네, 좋아요! 🌱"}, "메모": ["가", "나\n다"]}
        entry = said("안녕하세요, 피카츄를 골랐어요 ⚡")
        await store.save_turn(created.id, state, [entry], 0)
        await store.put_payload("결제-1", '{"상품":"몬스터볼"}')

        loaded = await store.find_conversation("포켓몬", "카카오", user)
        assert loaded is not None
        assert (loaded.bot_id, loaded.channel, loaded.user_key, loaded.token) == (
            "포켓몬",
            "카카오",
            user,
            "토큰",
        )
        assert loaded.state == state
        assert await store.transcript(created.id) == [entry]
        assert await store.get_payload("결제-1") == '{"상품":"몬스터볼"}'

    async def test_nul_characters_in_state_and_transcript(self, store: Store) -> None:
        # PostgreSQL refuses NUL in a text column: the JSON the stores write escapes it
        created = await store.create_conversation("pokemon", "web", "user-nul", "t")
        state = {"params": {"said": "a\x00b"}}
        await store.save_turn(created.id, state, [said("x\x00y")], 0)
        loaded = await store.get_conversation(created.id)
        assert loaded is not None and loaded.state == state
        assert texts(await store.transcript(created.id)) == ["x\x00y"]

    async def test_concurrent_turns_on_different_conversations(self, store: Store) -> None:
        created = [
            await store.create_conversation("pokemon", "web", f"user-{n}", "t") for n in range(12)
        ]

        async def talk(conversation_id: str, turns: int) -> int:
            version = 0
            for turn in range(turns):
                version = await store.save_turn(
                    conversation_id,
                    sample_state(turn),
                    [said(f"{conversation_id} {turn}")],
                    version,
                )
            return version

        versions = await asyncio.gather(*(talk(c.id, 8) for c in created))

        assert versions == [8] * len(created)
        for conversation in created:
            loaded = await store.get_conversation(conversation.id)
            assert loaded is not None
            assert (loaded.version, loaded.state) == (8, sample_state(7))
            assert texts(await store.transcript(conversation.id)) == [
                f"{conversation.id} {turn}" for turn in range(8)
            ]

    async def test_concurrent_turns_on_one_conversation_one_wins(self, store: Store) -> None:
        created = await store.create_conversation("pokemon", "web", "user-1", "t")

        outcomes = await asyncio.gather(
            *(
                store.save_turn(created.id, sample_state(n), [said(f"attempt {n}")], 0)
                for n in range(6)
            ),
            return_exceptions=True,
        )

        winners = [n for n, outcome in enumerate(outcomes) if outcome == 1]
        assert len(winners) == 1
        assert all(isinstance(o, ConflictError) for n, o in enumerate(outcomes) if n != winners[0])
        loaded = await store.get_conversation(created.id)
        assert loaded is not None
        assert (loaded.version, loaded.state) == (1, sample_state(winners[0]))
        assert texts(await store.transcript(created.id)) == [f"attempt {winners[0]}"]


def said_object() -> TranscriptEntry:
    return TranscriptEntry(direction="out", message={"type": "text", "text": object()}, at=AT)
