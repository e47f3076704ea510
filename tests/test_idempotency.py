"""``POST /api/chat`` with an ``Idempotency-Key``: the key's format, and a turn stored and answered
once however often, and however concurrently, the client sends it (the gateway in-process,
on SQLite and on PostgreSQL, with a fake Rasa)."""

from __future__ import annotations

import asyncio
from typing import List

import pytest

from bot.errors import ApiError
from bot.idempotency import HEADER, KEY_MAX_CHARS, parse_key
from tests.gateway_harness import FakeRasa, Gateway, running_gateway
from tests.openapi_check import assert_matches_spec


@pytest.mark.parametrize("key", ["a", "0f8fa6c1-6c7b-4d0e-9a5c-2b4f3e1d9a77", "01HZX3M4:turn.7_b", "k" * KEY_MAX_CHARS])
def test_good_keys_are_taken_as_sent(key: str) -> None:
    assert parse_key(key) == key


@pytest.mark.parametrize("key", ["", " ", " key", "key ", "k" * (KEY_MAX_CHARS + 1), "a/b", "a b", "ключ", "a\nb",
                                 "a;b", "é"])
def test_bad_keys_are_refused(key: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_key(key)
    assert (caught.value.status, caught.value.code) == (400, "invalid_idempotency_key")


def test_no_header_means_no_key() -> None:
    assert parse_key(None) is None


@pytest.fixture(params=["sqlite", "postgresql"])
async def gateway(request, tmp_path):
    url = request.getfixturevalue("postgres_server").new_database("idem") if request.param == "postgresql" else None
    async with running_gateway(tmp_path, database_url=url) as running:
        yield running


async def _post(gateway: Gateway, sender: str, message: str, key: str):
    answer = await gateway.call("POST", "/api/chat", {"sender": sender, "message": message}, headers={HEADER: key})
    assert_matches_spec("/api/chat", "post", answer.status, answer.body)
    return answer


async def _customer_texts(gateway: Gateway, sender: str) -> List[str]:
    history = await gateway.call("GET", f"/api/chat/history?sender={sender}")
    assert history.status == 200, history
    return [m["text"] for m in history.body["messages"] if m["role"] == "customer"]


async def _bot_texts(gateway: Gateway, sender: str) -> List[str]:
    history = await gateway.call("GET", f"/api/chat/history?sender={sender}")
    return [m["text"] for m in history.body["messages"] if m["role"] == "bot"]


def _sent_to_rasa(rasa: FakeRasa, text: str) -> int:
    return sum(1 for _sender, sent, _meta in rasa.received if sent == text)


async def test_a_malformed_key_is_a_400_json_error(gateway) -> None:
    answer = await _post(gateway, "bad-key", "hello", "not a key")
    assert answer.status == 400 and answer.body["error"] == "invalid_idempotency_key", answer
    assert _sent_to_rasa(gateway.rasa, "hello") == 0


async def test_a_repeat_gets_the_first_answer_and_rasa_sees_the_message_once(gateway) -> None:
    first = await _post(gateway, "repeat", "what are your hours", "turn-1")
    again = await _post(gateway, "repeat", "what are your hours", "turn-1")
    assert first.status == again.status == 200
    assert again.body == first.body
    assert _sent_to_rasa(gateway.rasa, "what are your hours") == 1
    assert await _customer_texts(gateway, "repeat") == ["what are your hours"]
    assert await _bot_texts(gateway, "repeat") == ["You said: what are your hours"]


async def test_rasa_gets_the_stored_message_id(gateway) -> None:
    await _post(gateway, "marked", "hello there", "m-1")
    history = await gateway.call("GET", "/api/chat/history?sender=marked")
    stored = next(m for m in history.body["messages"] if m["role"] == "customer")
    assert gateway.rasa.received[-1][2]["switchboard"] == {"message_id": stored["id"]}


async def test_keys_are_per_conversation_and_per_message(gateway) -> None:
    await _post(gateway, "alpha", "same words", "k1")
    await _post(gateway, "beta", "same words", "k1")  # another customer's conversation
    await _post(gateway, "alpha", "same words", "k2")  # the customer says it again, on purpose
    assert _sent_to_rasa(gateway.rasa, "same words") == 3
    assert await _customer_texts(gateway, "alpha") == ["same words", "same words"]
    assert await _customer_texts(gateway, "beta") == ["same words"]


async def test_a_turn_rasa_could_not_answer_is_finished_by_the_retry_once(gateway) -> None:
    gateway.rasa.down = True
    failed = await _post(gateway, "down", "is anyone there", "d-1")
    assert failed.status == 503, failed
    gateway.rasa.down = False
    retried = await _post(gateway, "down", "is anyone there", "d-1")
    assert retried.status == 200 and retried.body["replies"] == [{"text": "You said: is anyone there"}]
    assert (await _post(gateway, "down", "is anyone there", "d-1")).body == retried.body
    assert _sent_to_rasa(gateway.rasa, "is anyone there") == 1
    assert await _customer_texts(gateway, "down") == ["is anyone there"]
    assert await _bot_texts(gateway, "down") == ["You said: is anyone there"]


async def test_concurrent_repeats_store_the_message_and_the_replies_once(gateway) -> None:
    gateway.rasa.delay = 0.2  # every request is in flight while the others arrive
    answers = await asyncio.gather(*[_post(gateway, "burst", "hello all at once", "b-1") for _ in range(6)])
    gateway.rasa.delay = 0.0
    assert [a.status for a in answers] == [200] * 6, answers
    assert all(a.body == answers[0].body for a in answers), answers
    assert await _customer_texts(gateway, "burst") == ["hello all at once"]
    assert await _bot_texts(gateway, "burst") == ["You said: hello all at once"]


async def test_a_turn_handled_by_people_is_answered_once(gateway) -> None:
    queued = await _post(gateway, "waiting", "I want a human", "w-1")
    assert queued.body["handoff"]["status"] == "queued"
    first = await _post(gateway, "waiting", "still there?", "w-2")
    again = await _post(gateway, "waiting", "still there?", "w-2")
    assert again.body == first.body and first.body["handoff"]["id"] == queued.body["handoff"]["id"]
    assert await _customer_texts(gateway, "waiting") == ["I want a human", "still there?"]
    assert _sent_to_rasa(gateway.rasa, "still there?") == 0
