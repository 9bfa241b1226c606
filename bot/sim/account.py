"""The simulated Atlas account: a balance that jobs draw down, and the billing endpoints.

As Atlas does: a submit freezes the job's price (402 when the available balance is short), a
completed job is charged (the frozen amount leaves the balance and lands in that UTC day's
costs), a failed one is unfrozen. `/public/v1/balance`, `/model-costs` and `/model-usage`
answer in Atlas's shapes: no `{code, data}` envelope, money as six-decimal strings, daily UTC
buckets marked `partial` while the day is not over, arrays as repeated parameters only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

from bot.money import MICROS_PER_USD, Micros, usd

DEFAULT_BALANCE = usd("100.00")
MAX_DAYS = 180
GROUPINGS = frozenset({"model_type", "model", "api_key"})


def money(micros: Micros) -> dict[str, str]:
    """An amount as Atlas writes it: `{"value": "125.500000", "currency": "usd"}`."""
    return {"value": f"{Decimal(micros) / MICROS_PER_USD:.6f}", "currency": "usd"}


def account_error(status: int, code: str, message: str, request_id: str) -> web.Response:
    """An error in the account endpoints' shape: `{"error": {type, code, message}}`."""
    kind = {401: "authentication_error", 403: "permission_error"}.get(
        status, "invalid_request_error"
    )
    body = {"error": {"type": kind, "code": code, "message": message}, "request_id": request_id}
    return web.json_response(body, status=status)


class Refused(Exception):
    """A query the account endpoints refuse with 400."""


@dataclass
class SimAccount:
    """The account's money: what is available, frozen for running jobs, and billed per day."""

    balance: Micros = DEFAULT_BALANCE
    """Cash and bonus together; `available` is this less what is frozen."""
    readable: bool = True
    """False: the key may not read the billing endpoints (403), as a key without that right."""
    today: Callable[[], date] = field(default=lambda: datetime.now(UTC).date())
    frozen: dict[str, tuple[str, Micros]] = field(default_factory=dict)
    """Running jobs: prediction id -> (model, price)."""
    costs: dict[tuple[date, str], Micros] = field(default_factory=lambda: defaultdict(int))
    requests: dict[tuple[date, str], int] = field(default_factory=lambda: defaultdict(int))

    @property
    def available(self) -> Micros:
        """What a new job may still spend."""
        return self.balance - sum(price for _, price in self.frozen.values())

    def freeze(self, prediction_id: str, model: str, price: Micros) -> bool:
        """Set a job's price aside at submit; False (402) when the balance is short."""
        if price > self.available:
            return False
        self.frozen[prediction_id] = (model, price)
        return True

    def settle(self, prediction_id: str, *, completed: bool, day: date) -> None:
        """A job ended: charge its price on `day` (completed) or give it back (failed)."""
        held = self.frozen.pop(prediction_id, None)
        if held is None:
            return
        model, price = held
        self.requests[(day, model)] += 1
        if completed:
            self.balance -= price
            self.costs[(day, model)] += price

    def bill(self, day: date, model: str, amount: Micros) -> None:
        """Record a charge the bot never heard of (e.g. a job cut off mid-submit)."""
        self.balance -= amount
        self.costs[(day, model)] += amount
        self.requests[(day, model)] += 1

    # -- endpoints -----------------------------------------------------------------------

    def balance_body(self, request_id: str) -> dict[str, Any]:
        """`GET /public/v1/balance`."""
        frozen = sum(price for _, price in self.frozen.values())
        zero = money(0)
        return {
            "object": "balance",
            "scope": "account",
            "account": {"id": "acc_sim", "name": "Simulator", "type": "personal"},
            "available": money(self.available),
            "cash": money(self.balance),
            "bonus": zero,
            "subscription_bonus": zero,
            "frozen": money(frozen),
            "credit_grant": {
                "status": "inactive",
                "granted": zero,
                "used": zero,
                "remaining_overdraft": zero,
                "overdrawn": zero,
            },
            "request_id": request_id,
        }

    def buckets_body(self, query: Any, *, costs: bool, request_id: str) -> dict[str, Any]:
        """`GET /public/v1/model-costs` (costs) or `/model-usage`; `Refused` for a bad query."""
        start, end = _day(query, "start_date"), _day(query, "end_date")
        if end <= start or (end - start).days > MAX_DAYS:
            raise Refused(f"end_date must be after start_date, at most {MAX_DAYS} days later")
        groups = query.getall("group_by[]", [])
        if any("," in g for g in groups) or "group_by" in query:
            raise Refused("group_by[]: repeat the parameter; comma-separated values are refused")
        if not set(groups) <= GROUPINGS:
            raise Refused(f"group_by[]: one of {', '.join(sorted(GROUPINGS))}")
        models = set(query.getall("model_ids[]", []))
        limit = _limit(query)
        first = int(query.get("page", "0") or 0)
        table = self.costs if costs else self.requests
        days = [start + timedelta(days=n) for n in range((end - start).days)]
        data: list[dict[str, Any]] = []
        rows = 0
        index = first
        while index < len(days):
            bucket = self._bucket(days[index], table, models, "model" in groups, costs=costs)
            if data and rows + len(bucket["results"]) > limit:
                break
            data.append(bucket)
            rows += len(bucket["results"])
            index += 1
        more = index < len(days)
        return {
            "object": "list",
            "scope": query.get("scope", "self"),
            "data": data,
            "has_more": more,
            "next_page": str(index) if more else None,
            "request_id": request_id,
        }

    def _bucket(
        self,
        day: date,
        table: dict[tuple[date, str], int],
        models: set[str],
        by_model: bool,
        *,
        costs: bool,
    ) -> dict[str, Any]:
        amounts = {
            model: value
            for (on, model), value in table.items()
            if on == day and (not models or model in models)
        }
        prefix = "model_cost" if costs else "usage"
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        partial = day >= self.today()
        groups: Iterable[tuple[str | None, int]] = (
            sorted(amounts.items()) if by_model else [(None, sum(amounts.values()))]
        )
        results = []
        for model, value in groups:
            result: dict[str, Any] = {"object": f"{prefix}.result"}
            if model is not None:
                result["model"] = model
            if costs:
                result["amount"] = money(value)
            else:
                result["requests"] = value
            results.append(result)
        end = start + timedelta(days=1)
        covered = min(end, datetime.now(UTC)) if partial else end
        return {
            "object": f"{prefix}.bucket",
            "date": day.isoformat(),
            "start_at": _stamp(start),
            "end_at": _stamp(end),
            "covered_until": _stamp(covered),
            "partial": partial,
            "results": results,
        }


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _day(query: Any, name: str) -> date:
    text = query.get(name)
    if not text:
        raise Refused(f"{name}: required (YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Refused(f"{name}: not a date in YYYY-MM-DD form: {text!r}") from None


def _limit(query: Any) -> int:
    try:
        limit = int(query.get("limit", "100"))
    except ValueError:
        raise Refused("limit: a whole number from 1 to 1000") from None
    if not 1 <= limit <= 1000:
        raise Refused("limit: a whole number from 1 to 1000")
    return limit


__all__ = ["DEFAULT_BALANCE", "Refused", "SimAccount", "account_error", "money"]
