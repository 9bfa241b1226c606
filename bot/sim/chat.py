"""The simulator's chat model (Atlas's OpenAI-compatible `/v1/chat/completions`).

It answers with a richer prompt made from the member's words (in Traditional Chinese when the
instructions ask for it), counts tokens as a tokenizer roughly would (a token per four Latin
characters, one per CJK character) and never writes more than `max_tokens`. A test scripts the
text with `AtlasSimulator.chat_reply`.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from bot.money import Micros
from bot.sim.models import SimModels
from bot.sim.validation import Refusal

ChatReply = Callable[[list[dict[str, str]]], str]
"""Scripted answers: the messages -> the text."""

MAX_TOKENS = 8192
ENRICHMENT = (
    "Cinematic wide shot, soft golden-hour light, slow dolly-in camera movement, "
    "shallow depth of field, rich textures and natural motion."
)
ENRICHMENT_ZH = "電影感廣角鏡頭，柔和的黃金時段光線，緩慢推進的運鏡，淺景深，質感豐富，動作自然。"


def count_tokens(text: str) -> int:
    """About as many tokens as a real tokenizer counts: CJK one each, others four to one."""
    wide = sum(1 for char in text if ord(char) >= 0x2E80)
    narrow = len(text) - wide
    return wide + math.ceil(narrow / 4)


def cut_to_tokens(text: str, limit: int) -> str:
    """The longest start of `text` within `limit` tokens."""
    while text and count_tokens(text) > limit:
        text = text[: max(0, len(text) - max(1, len(text) // 8))]
    return text


def default_reply(messages: list[dict[str, str]]) -> str:
    """The member's words, made richer; in Traditional Chinese when asked for."""
    words = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    instructions = " ".join(m["content"] for m in messages if m["role"] == "system")
    if "Traditional Chinese" in instructions or "zh-TW" in instructions:
        return f"{words.strip()}。{ENRICHMENT_ZH}"
    return f"{words.strip().rstrip('.')}. {ENRICHMENT}"


def answer_chat(
    body: Any, models: SimModels, reply: ChatReply | None
) -> tuple[dict[str, Any], Micros]:
    """The completion for `body` and what it costs; `Refusal` for a request Atlas refuses."""
    if not isinstance(body, Mapping):
        raise Refusal(400, "request body must be a JSON object")
    model_id = body.get("model")
    if not isinstance(model_id, str) or model_id not in models:
        raise Refusal(404, f"model not found: {model_id}")
    model = models.get(model_id)
    if not model.chat:
        raise Refusal(400, f"model: {model_id} is not a chat model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(_message(m) for m in messages):
        raise Refusal(400, "messages: required, a list of {role, content}")
    max_tokens = body.get("max_tokens", MAX_TOKENS)
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise Refusal(400, "max_tokens: must be a positive integer")
    text = (reply or default_reply)(list(messages))
    finish = "stop"
    if count_tokens(text) > max_tokens:
        text, finish = cut_to_tokens(text, max_tokens), "length"
    prompt_tokens = sum(count_tokens(m["content"]) + 4 for m in messages)
    completion_tokens = count_tokens(text)
    answer = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model_id,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    return answer, model.chat_price(prompt_tokens, completion_tokens)


def _message(item: Any) -> bool:
    return (
        isinstance(item, Mapping)
        and isinstance(item.get("role"), str)
        and isinstance(item.get("content"), str)
    )
