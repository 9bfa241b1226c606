"""Atlas's account endpoints: the balance, and what Atlas billed per UTC day and model.

`GET /public/v1/balance` answers `available`, `cash`, `bonus`, `frozen`, ... each as
`{"value": "125.500000", "currency": "usd"}`; `GET /public/v1/model-costs` answers daily UTC
buckets `{date, start_at, end_at, covered_until, partial, results[{model?, amount}]}` a page at
a time (`has_more`, `next_page`). Neither is wrapped in the `{code, data}` envelope of the
video endpoints. A key without the right to read them gets 403 (`PermissionDenied`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bot.atlas.client import AtlasClient
from bot.atlas.errors import UnexpectedResponse
from bot.atlas.models import usd_to_micros
from bot.money import Micros

MAX_DAYS_PER_QUERY = 180
"""Atlas answers at most 180 daily buckets per query."""
PAGE_ROWS = 1000
MAX_MODEL_IDS = 100
MAX_PAGES = 100
"""A bound on pages per query, in case an answer keeps saying `has_more`."""


@dataclass(frozen=True)
class AccountBalance:
    """What the Atlas account can still spend (`available`), in micro-USD."""

    available: Micros
    frozen: Micros | None = None
    """Held by Atlas for jobs that are running (released if they fail)."""


@dataclass
class CostDay:
    """What Atlas billed on one UTC day, by model id; `partial`: the day is not complete yet
    (today, or Atlas has not finished counting it)."""

    day: date
    partial: bool
    by_model: dict[str, Micros] = field(default_factory=dict)

    @property
    def total(self) -> Micros:
        """Every model of the day together."""
        return sum(self.by_model.values())


def _money(value: Any, what: str) -> Micros:
    amount = value.get("value") if isinstance(value, dict) else value
    micros = usd_to_micros(amount)
    if micros is None:
        raise UnexpectedResponse(f"Atlas answered an unreadable amount for {what}: {value!r}")
    return micros


def parse_balance(body: Any) -> AccountBalance:
    """The balance from `/public/v1/balance`'s answer (also inside a `data` envelope)."""
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        body = body["data"]
    if not isinstance(body, dict) or "available" not in body:
        raise UnexpectedResponse("Atlas's balance answer has no `available` amount")
    frozen = body.get("frozen")
    return AccountBalance(
        available=_money(body["available"], "available"),
        frozen=None if frozen is None else _money(frozen, "frozen"),
    )


async def read_balance(atlas: AtlasClient) -> AccountBalance:
    """The account's balance now (`PermissionDenied` when the key may not read it)."""
    return parse_balance(await atlas.account("balance"))


def parse_cost_page(body: Any, days: dict[date, CostDay]) -> str | None:
    """Add one page of `/public/v1/model-costs` to `days`; the next page's cursor, or None."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise UnexpectedResponse("Atlas's model-costs answer has no `data` list")
    for bucket in body["data"]:
        try:
            day = date.fromisoformat(str(bucket["date"]))
        except (KeyError, TypeError, ValueError):
            raise UnexpectedResponse(f"a model-costs bucket without a date: {bucket!r}") from None
        entry = days.setdefault(day, CostDay(day, partial=False))
        entry.partial = entry.partial or bool(bucket.get("partial", False))
        for result in bucket.get("results") or ():
            # Grouped by model, each result names it (`model`; some answers say `model_id`).
            model = str(result.get("model") or result.get("model_id") or "")
            amount = _money(result.get("amount"), f"{day} {model}")
            entry.by_model[model] = entry.by_model.get(model, 0) + amount
    cursor = body.get("next_page")
    return str(cursor) if body.get("has_more") and cursor else None


async def model_costs(
    atlas: AtlasClient, since: date, until: date, *, models: Sequence[str] = ()
) -> list[CostDay]:
    """What Atlas billed per UTC day and model in [since, until), oldest day first (a day
    without any use may be missing); `models`: only these (at most 100), e.g. the catalogue's,
    so the key's other uses (an LLM) stay out."""
    days: dict[date, CostDay] = {}
    start = since
    while start < until:
        end = min(until, start + timedelta(days=MAX_DAYS_PER_QUERY))
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            params = [
                ("start_date", start.isoformat()),
                ("end_date", end.isoformat()),
                ("group_by[]", "model"),
                ("limit", str(PAGE_ROWS)),
                *(("model_ids[]", model) for model in models[:MAX_MODEL_IDS]),
            ]
            if cursor is not None:
                params.append(("page", cursor))
            cursor = parse_cost_page(await atlas.account("model-costs", params), days)
            if cursor is None:
                break
        start = end
    return [days[day] for day in sorted(days)]


__all__ = [
    "AccountBalance",
    "CostDay",
    "model_costs",
    "parse_balance",
    "parse_cost_page",
    "read_balance",
]
