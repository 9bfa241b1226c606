"""The Atlas account's balance, watched so members hear "out of credit" before Atlas says 402.

`BalanceWatch.run` reads the balance at start and every `[operator] balance_check_minutes`.
Below `low_balance_usd` it logs one WARNING and tells the operator's alert channel once per
crossing (and once more when the balance is back above it). Between readings the balance is
estimated: each job accepted since draws it down by its price.

`refuses(price)` is asked before a job holds any money: a job priced above the balance is
refused at once (read again first when the estimate is older than `FRESH_SECONDS`), and the
operator is told once, until jobs flow again. A balance that cannot be read (a key without the
right: 403; the network) never refuses a job; that is logged once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from bot.atlas import AtlasClient, AtlasError, PermissionDenied
from bot.atlas.account import read_balance
from bot.metrics import Metrics
from bot.money import Micros, format_usd
from bot.operator.sinks import Alert, AlertSink
from bot.settings import OperatorConfig

log = logging.getLogger(__name__)

FRESH_SECONDS = 30.0
"""An estimate older than this is read again before it refuses a job."""


class BalanceWatch:
    """The last known (or estimated) Atlas balance, and what it allows."""

    def __init__(
        self,
        atlas: AtlasClient,
        config: OperatorConfig,
        *,
        metrics: Metrics | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._atlas = atlas
        self._config = config
        self._metrics = metrics
        self._monotonic = monotonic
        self._sleep = sleep
        self.sink: AlertSink | None = None
        self.balance: Micros | None = None
        """The estimate: the last reading less the jobs accepted since (None: unknown)."""
        self._read_at: float | None = None
        self._low = False
        self._unreadable = False
        self._refused_price: Micros | None = None
        self._reading = asyncio.Lock()
        self.readings = 0
        """How many times the balance was asked for (read or not)."""

    async def run(self) -> None:
        """Read now and every `balance_check_minutes`, until cancelled."""
        while True:
            await self.check()
            await self._sleep(self._config.balance_check_minutes * 60)

    async def check(self) -> Micros | None:
        """Read the balance now; say what crossed. None when it cannot be read."""
        async with self._reading:
            self.readings += 1
            try:
                reading = await read_balance(self._atlas)
            except asyncio.CancelledError:
                raise
            except AtlasError as exc:
                self._cannot_read(exc)
                return None
            if self._unreadable:
                log.info("the Atlas balance is readable again")
                self._unreadable = False
            self.balance = reading.available
            self._read_at = self._monotonic()
        if self._metrics is not None:
            self._metrics.atlas_balance_read(reading.available)
        await self._crossings(reading.available)
        return reading.available

    def _cannot_read(self, exc: AtlasError) -> None:
        self.balance = None
        self._read_at = None
        if self._metrics is not None:
            self._metrics.atlas_balance_read(None)
        if self._unreadable:
            return
        self._unreadable = True
        why = "the API key may not read it (403)" if isinstance(exc, PermissionDenied) else exc
        log.warning(
            "cannot read the Atlas balance (%s): jobs run without a balance check until it reads",
            why,
        )

    async def _crossings(self, balance: Micros) -> None:
        low = self._config.low_balance
        if balance < low and not self._low:
            self._low = True
            log.warning(
                "the Atlas balance is low: %s, below %s; top up the Atlas account",
                format_usd(balance),
                format_usd(low),
            )
            await self._tell("low", balance=balance, threshold=low)
        elif balance >= low and self._low:
            self._low = False
            log.info("the Atlas balance is back above %s: %s", format_usd(low), format_usd(balance))
            await self._tell("recovered", balance=balance, threshold=low)
        refused = self._refused_price
        if refused is not None and balance >= refused:
            self._flowing(balance)

    def _flowing(self, balance: Micros) -> None:
        self._refused_price = None
        log.info("the Atlas balance (%s) covers jobs again: jobs flow", format_usd(balance))

    def draw(self, price: Micros) -> None:
        """A job was accepted: until the next reading, count its price as spent."""
        if self.balance is not None:
            self.balance -= price

    async def refuses(self, price: Micros) -> bool:
        """Whether a job of `price` must be refused because the Atlas account cannot pay it.

        Never True when the balance is unknown (unreadable): Atlas then decides, as before.
        """
        if self.balance is None:
            return False
        stale = self._read_at is None or self._monotonic() - self._read_at > FRESH_SECONDS
        if price > self.balance and stale:
            await self.check()  # the estimate may be low only because jobs failed since
        balance = self.balance
        if balance is None or price <= balance:
            if self._refused_price is not None and balance is not None:
                self._flowing(balance)
            return False
        if self._refused_price is None:
            log.warning(
                "a job of %s was refused: the Atlas balance is %s; top up the Atlas account",
                format_usd(price),
                format_usd(balance),
            )
            self._refused_price = price
            await self._tell("refused", balance=balance, price=price)
        self._refused_price = min(self._refused_price, price)
        return True

    async def _tell(self, what: str, **amounts: Micros) -> None:
        channel = self._config.alert_channel_id
        if channel is None or self.sink is None:
            return
        alert = Alert("operator", f"alert.balance.{what}", channel_id=channel, amounts=amounts)
        try:
            await self.sink.post(alert)
        except Exception:
            log.exception("could not post to the operator's alert channel")


__all__ = ["FRESH_SECONDS", "BalanceWatch"]
