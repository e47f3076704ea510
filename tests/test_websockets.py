"""The customer and desk websockets: protocol, authentication and bad input (real gateway)."""

import json

import pytest
import websockets

from tests.helpers import http, ws_frames, ws_until


def _ws(url: str, path: str) -> str:
    return url.replace("http://", "ws://") + path


async def test_customer_socket_says_ready_and_replays_nothing_for_a_new_sender(gateway_without_rasa) -> None:
    async with websockets.connect(_ws(gateway_without_rasa["url"], "/ws/chat?sender=ws-new")) as ws:
        (ready,) = await ws_frames(ws, 1)
        assert ready == {"type": "ready", "conversation_id": None, "status": None}


async def test_customer_socket_needs_a_sender(gateway_without_rasa) -> None:
    async with websockets.connect(_ws(gateway_without_rasa["url"], "/ws/chat")) as ws:
        (error,) = await ws_frames(ws, 1)
        assert error["type"] == "error" and error["error"] == "invalid_field" and "sender" in error["message"]
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.code == 4400


@pytest.mark.parametrize(
    "frame, code",
    [
        ("not json", "invalid_json"),
        (json.dumps([1, 2]), "invalid_frame"),
        (json.dumps({"type": "dance"}), "invalid_frame"),
        (json.dumps({"type": "message"}), "missing_field"),
        (json.dumps({"type": "message", "text": "   "}), "empty_field"),
        (json.dumps({"type": "message", "text": "x" * 5000}), "field_too_long"),
        (json.dumps({"type": "message", "text": "hi", "metadata": "nope"}), "invalid_field"),
        (json.dumps({"type": "history", "after": "last"}), "invalid_field"),
        (json.dumps({"type": "leave_queue", "callback_phone": "call me"}), "invalid_field"),
        (json.dumps({"type": "leave_queue"}), "not_queued"),
        (b"\x00\x01binary", "invalid_frame"),
    ],
)
async def test_bad_customer_frames_get_an_error_frame_and_the_socket_stays_open(gateway_without_rasa, frame, code) -> None:
    async with websockets.connect(_ws(gateway_without_rasa["url"], "/ws/chat?sender=ws-bad")) as ws:
        await ws_frames(ws, 1)
        await ws.send(frame)
        error = await ws_until(ws, lambda f: f["type"] == "error")
        assert error["error"] == code, error
        await ws.send(json.dumps({"type": "history", "after": 0}))  # still served
        await ws.ping()


async def test_rasa_down_is_an_error_frame_and_the_message_is_kept(gateway_without_rasa) -> None:
    async with websockets.connect(_ws(gateway_without_rasa["url"], "/ws/chat?sender=ws-down")) as ws:
        await ws_frames(ws, 1)
        await ws.send(json.dumps({"type": "message", "text": "hello there"}))
        echo = await ws_until(ws, lambda f: f["type"] == "message")
        assert echo["role"] == "customer" and echo["text"] == "hello there"
        error = await ws_until(ws, lambda f: f["type"] == "error")
        assert error["error"] == "assistant_unavailable"
    status, history = http("GET", f"{gateway_without_rasa['url']}/api/chat/history?sender=ws-down")
    assert status == 200 and [m["text"] for m in history["messages"]] == ["hello there"]


async def test_card_numbers_are_redacted_before_they_are_echoed(gateway_without_rasa) -> None:
    async with websockets.connect(_ws(gateway_without_rasa["url"], "/ws/chat?sender=ws-card")) as ws:
        await ws_frames(ws, 1)
        await ws.send(json.dumps({"type": "message", "text": "my card is 4111 1111 1111 1111"}))
        echo = await ws_until(ws, lambda f: f["type"] == "message")
        assert echo["text"] == "my card is [card ending 1111]"


async def test_an_oversized_frame_closes_with_1009_and_the_gateway_keeps_serving(gateway_without_rasa) -> None:
    async with websockets.connect(_ws(gateway_without_rasa["url"], "/ws/chat?sender=ws-big"), max_size=None) as ws:
        await ws_frames(ws, 1)
        # The gateway may close with 1009 while the frame is still being sent: then send() raises.
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.send("x" * (2 * 1024 * 1024))
            await ws.recv()
        assert closed.value.code == 1009
    assert http("GET", f"{gateway_without_rasa['url']}/health")[0] == 200


async def test_a_client_vanishing_mid_conversation_leaves_the_gateway_healthy(gateway_without_rasa) -> None:
    ws = await websockets.connect(_ws(gateway_without_rasa["url"], "/ws/chat?sender=ws-vanish"))
    await ws_frames(ws, 1)
    ws.transport.abort()  # no close handshake, as when a phone loses its signal
    assert http("GET", f"{gateway_without_rasa['url']}/health")[0] == 200


@pytest.mark.parametrize("first", [json.dumps({"type": "auth", "token": "nonsense"}), json.dumps({"type": "watch"}), "{"])
async def test_desk_socket_needs_a_valid_token_first(gateway_without_rasa, first) -> None:
    async with websockets.connect(_ws(gateway_without_rasa["url"], "/ws/desk")) as ws:
        await ws.send(first)
        (error,) = await ws_frames(ws, 1)
        assert error["type"] == "error" and error["error"] in ("unauthorized", "invalid_json")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.code == 4401


async def test_desk_socket_authorises_watching(gateway_without_rasa) -> None:
    url = gateway_without_rasa["url"]
    token = http("POST", f"{url}/api/auth/login", {"username": "rasa", "password": "rasa-demo-pass"})[1]["token"]
    async with websockets.connect(_ws(url, "/ws/desk")) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        (ready,) = await ws_frames(ws, 1)
        assert ready["type"] == "ready" and ready["agent"]["username"] == "rasa"
        await ws.send(json.dumps({"type": "watch", "handoff_id": 999999}))
        assert (await ws_frames(ws, 1))[0]["error"] == "not_found"
        await ws.send(json.dumps({"type": "watch", "handoff_id": "one"}))
        assert (await ws_frames(ws, 1))[0]["error"] == "invalid_field"
        await ws.send(json.dumps({"type": "shout"}))
        assert (await ws_frames(ws, 1))[0]["error"] == "invalid_frame"
