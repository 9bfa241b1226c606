"""Checking Atlas's signed webhook calls: real Ed25519 signatures (made by the simulator's
signer), refused when unsigned, forged, stale or from an unknown key; repeats taken once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bot.atlas.models import PredictionState
from bot.atlas.webhooks import (
    EVENT_HEADER,
    EVENT_ID_HEADER,
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    TERMINAL_EVENT,
    TIMESTAMP_HEADER,
    PredictionNotices,
    WebhookKeys,
    WebhookRejected,
    WebhookVerifier,
    b64url_decode,
    parse_jwks,
)
from bot.sim.webhooks import WebhookSender

NOW = 1_800_000_000.0
DONE = {
    "id": "pred-1",
    "status": "completed",
    "outputs": ["https://cdn.example/pred-1.mp4"],
    "created_at": "2026-12-07T10:00:00+00:00",
    "completed_at": "2026-12-07T10:01:00+00:00",
}


class Keys:
    """A JWKS endpoint stand-in that counts fetches and can rotate to another signer."""

    def __init__(self, signer: WebhookSender) -> None:
        self.signer = signer
        self.fetches = 0
        self.fail = False

    async def __call__(self) -> Any:
        self.fetches += 1
        if self.fail:
            raise ConnectionError("Atlas unreachable")
        return self.signer.jwks()


def signed(
    signer: WebhookSender,
    body: dict[str, Any] | bytes,
    *,
    at: float = NOW,
    event_id: str = "evt-1",
    stamp: str | None = None,
) -> tuple[dict[str, str], bytes]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = stamp or str(int(at))
    headers = {
        SIGNATURE_HEADER: signer.sign(stamp, raw),
        TIMESTAMP_HEADER: stamp,
        KEY_ID_HEADER: signer.key_id,
        EVENT_ID_HEADER: event_id,
        EVENT_HEADER: TERMINAL_EVENT,
    }
    return headers, raw


@pytest.fixture
def signer() -> WebhookSender:
    return WebhookSender(key_id="k1")


@pytest.fixture
def keys(signer: WebhookSender) -> Keys:
    return Keys(signer)


@pytest.fixture
def verifier(keys: Keys) -> WebhookVerifier:
    return WebhookVerifier(WebhookKeys(keys), clock=lambda: NOW)


async def test_a_signed_call_yields_its_prediction(
    signer: WebhookSender, verifier: WebhookVerifier
) -> None:
    headers, body = signed(signer, {"id": "evt-1", "event": TERMINAL_EVENT, "data": DONE})

    event = await verifier.verify(headers, body)

    assert event is not None
    assert (event.event_id, event.event, event.prediction_id) == ("evt-1", TERMINAL_EVENT, "pred-1")
    assert event.prediction is not None
    assert event.prediction.state is PredictionState.SUCCEEDED
    assert event.prediction.outputs == DONE["outputs"]


async def test_a_repeat_of_a_call_is_taken_once(
    signer: WebhookSender, verifier: WebhookVerifier
) -> None:
    headers, body = signed(signer, {"data": DONE})

    assert await verifier.verify(headers, body) is not None
    assert await verifier.verify(headers, body) is None, "delivery is at least once"


@pytest.mark.parametrize(
    "replay",
    [
        lambda h: h | {EVENT_ID_HEADER: "evt-2"},  # an unsigned header changed
        lambda h: {k: v for k, v in h.items() if k != EVENT_ID_HEADER},
        lambda h: h | {SIGNATURE_HEADER: h[SIGNATURE_HEADER] + " v1=junk"},  # junk beside it
        lambda h: h | {SIGNATURE_HEADER: "v1=" + h[SIGNATURE_HEADER]},
    ],
    ids=["other-id", "no-id", "junk-signature", "prefixed-signature"],
)
async def test_a_replay_with_other_unsigned_headers_is_still_a_repeat(
    replay: Any, signer: WebhookSender, verifier: WebhookVerifier
) -> None:
    headers, body = signed(signer, {"data": DONE})
    assert await verifier.verify(headers, body) is not None

    assert await verifier.verify(replay(headers), body) is None, "the signed message was seen"


async def test_the_event_type_is_read_from_the_signed_body(
    signer: WebhookSender, verifier: WebhookVerifier
) -> None:
    progress = {**DONE, "id": "pred-2", "status": "processing"}
    headers, body = signed(signer, {"event": "video.task.progress", "data": progress})
    relabelled = await verifier.verify(headers | {EVENT_HEADER: TERMINAL_EVENT}, body)
    assert relabelled is not None
    assert relabelled.event == "video.task.progress", "the unsigned header does not decide"

    headers, body = signed(signer, {"data": DONE}, at=NOW + 1)
    bare = await verifier.verify(headers | {EVENT_HEADER: "video.task.progress"}, body)
    assert bare is not None
    assert bare.event == TERMINAL_EVENT, "no event named: a signed prediction that has ended"


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (lambda h, b: ({k: v for k, v in h.items() if k != SIGNATURE_HEADER}, b), "unsigned"),
        (lambda h, b: ({k: v for k, v in h.items() if k != TIMESTAMP_HEADER}, b), "unsigned"),
        (lambda h, b: (h, b.replace(b"pred-1", b"pred-2")), "bad signature"),
        (lambda h, b: (h | {TIMESTAMP_HEADER: str(int(NOW) + 1)}, b), "bad signature"),
        (lambda h, b: (h | {SIGNATURE_HEADER: "not base64 !"}, b), "bad signature"),
        (lambda h, b: (h | {TIMESTAMP_HEADER: "yesterday"}, b), "stale"),
    ],
    ids=[
        "no-signature",
        "no-timestamp",
        "body-changed",
        "timestamp-changed",
        "garbage-sig",
        "bad-time",
    ],
)
async def test_a_call_not_signed_by_atlas_is_refused(
    spoil: Any, reason: str, signer: WebhookSender, verifier: WebhookVerifier
) -> None:
    headers, body = spoil(*signed(signer, {"data": DONE}))

    with pytest.raises(WebhookRejected) as refused:
        await verifier.verify(headers, body)

    assert refused.value.status == 401
    assert reason in refused.value.reason


@pytest.mark.parametrize("age", [-301, 301, 3600])
async def test_a_stale_or_future_call_is_refused_even_when_signed(
    age: float, signer: WebhookSender, verifier: WebhookVerifier
) -> None:
    headers, body = signed(signer, {"data": DONE}, at=NOW - age)

    with pytest.raises(WebhookRejected, match="stale"):
        await verifier.verify(headers, body)


async def test_a_timestamp_in_milliseconds_is_read_as_such(
    signer: WebhookSender, verifier: WebhookVerifier
) -> None:
    headers, body = signed(signer, {"data": DONE}, stamp=str(int(NOW * 1000) - 5_000))

    assert await verifier.verify(headers, body) is not None


async def test_another_signers_call_is_refused(verifier: WebhookVerifier) -> None:
    impostor = WebhookSender(key_id="k1")  # the same key id, another private key
    headers, body = signed(impostor, {"data": DONE})

    with pytest.raises(WebhookRejected, match="bad signature"):
        await verifier.verify(headers, body)


async def test_a_rotated_key_is_fetched_once_and_then_known(keys: Keys) -> None:
    clock = [NOW]
    verifier = WebhookVerifier(WebhookKeys(keys, clock=lambda: clock[0]), clock=lambda: clock[0])
    assert await verifier.verify(*signed(keys.signer, {"data": DONE}, event_id="a")) is not None
    assert keys.fetches == 1

    keys.signer = rotated = WebhookSender(key_id="k2")
    clock[0] += 61  # an unknown key id refetches, at most once a minute
    assert await verifier.verify(*signed(rotated, {"data": DONE}, at=clock[0], event_id="b"))
    assert keys.fetches == 2
    assert await verifier.verify(*signed(rotated, {"data": DONE}, at=clock[0] + 1, event_id="c"))
    assert keys.fetches == 2, "known now: no fetch"

    stranger = WebhookSender(key_id="k3")
    for n in range(3):  # unknown ids cannot make the bot fetch in a loop
        with pytest.raises(WebhookRejected):
            await verifier.verify(*signed(stranger, {"data": DONE}, at=clock[0], event_id=f"d{n}"))
    assert keys.fetches == 2


async def test_unreadable_keys_answer_503_so_atlas_sends_again(
    signer: WebhookSender, keys: Keys
) -> None:
    clock = [100.0]
    verifier = WebhookVerifier(WebhookKeys(keys, clock=lambda: clock[0]), clock=lambda: NOW)
    keys.fail = True
    headers, body = signed(signer, {"data": DONE})

    for _ in range(3):
        with pytest.raises(WebhookRejected) as refused:
            await verifier.verify(headers, body)
        assert refused.value.status == 503
    assert keys.fetches == 1, "calls right after a failed fetch do not fetch again"

    keys.fail = False
    clock[0] += 5
    assert await verifier.verify(headers, body) is not None, "not remembered as seen"
    assert keys.fetches == 2


async def test_a_signed_body_that_is_not_json_is_a_400(
    signer: WebhookSender, verifier: WebhookVerifier
) -> None:
    with pytest.raises(WebhookRejected) as refused:
        await verifier.verify(*signed(signer, b"<html>"))
    assert refused.value.status == 400


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"id": "pred-1"}},
        {"data": {"prediction_id": "pred-1", "status": 7}},
        {"task_id": "pred-1"},
        {"data": {"prediction": {"id": "pred-1"}}},
    ],
    ids=["id-only", "odd-status", "top-level", "nested"],
)
async def test_a_body_without_a_readable_prediction_still_names_it(
    body: dict[str, Any], signer: WebhookSender, verifier: WebhookVerifier
) -> None:
    event = await verifier.verify(*signed(signer, body))

    assert event is not None
    assert event.prediction_id == "pred-1"
    assert event.prediction is None, "the waiting job polls once to learn the outcome"


def test_the_key_set_keeps_ed25519_keys_only(signer: WebhookSender) -> None:
    good = signer.jwks()["keys"][0]
    keys = parse_jwks(
        {
            "keys": [
                good,
                {"kty": "RSA", "kid": "rsa", "n": "AQAB", "e": "AQAB"},
                {"kty": "OKP", "crv": "X25519", "kid": "x", "x": good["x"]},
                {"kty": "OKP", "crv": "Ed25519", "kid": "short", "x": "AAAA"},
                "junk",
            ]
        }
    )
    assert list(keys) == ["k1"]
    assert parse_jwks("not a key set") == {}


def test_base64url_is_read_padded_or_not_and_in_standard_alphabet() -> None:
    raw = bytes(range(250, 255))
    assert b64url_decode("-vv8_f4") == raw
    assert b64url_decode("+vv8/f4=") == raw


# -- notices ------------------------------------------------------------------------------------


async def test_a_notice_wakes_the_waiting_job_at_once() -> None:
    notices = PredictionNotices()
    waiting = asyncio.create_task(notices.pause("pred-1", 60, asyncio.sleep))
    await asyncio.sleep(0)

    assert notices.notify("pred-1") is True
    notice = await asyncio.wait_for(waiting, 1)

    assert notice is not None
    assert notice.prediction is None


async def test_a_notice_before_the_wait_is_kept_for_it() -> None:
    clock = [0.0]
    notices = PredictionNotices(keep_seconds=10, clock=lambda: clock[0])
    assert notices.notify("early") is False
    assert notices.notify("too-early") is False
    clock[0] = 5
    assert await notices.pause("early", 60, asyncio.sleep) is not None
    clock[0] = 11
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    assert await notices.pause("too-early", 0.5, sleep) is None, "forgotten after keep_seconds"
    assert slept == [0.5]


async def test_without_a_notice_the_pause_is_the_sleep() -> None:
    notices = PredictionNotices()
    notices.notify("someone-else")
    assert await notices.pause("pred-1", 0.01, asyncio.sleep) is None
    assert notices.notify("pred-1") is False, "no one waits any more"


async def test_the_early_notices_are_bounded() -> None:
    notices = PredictionNotices(max_kept=3)
    for n in range(10):
        notices.notify(f"p{n}")

    async def no_sleep(seconds: float) -> None:
        return None

    kept = [n for n in range(10) if await notices.pause(f"p{n}", 0, no_sleep) is not None]
    assert kept == [7, 8, 9]
