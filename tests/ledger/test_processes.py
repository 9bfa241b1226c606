"""Invariant 3 across OS processes: two bots, each with its own store on one database, racing
500 reserves against a bot-wide cap that fits exactly 10 jobs, make exactly 10 holds."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from pathlib import Path

from bot.ledger import Ledger
from tests.engines import Target, peek
from tests.ledger.helpers import USD, budget

ROOT = Path(__file__).resolve().parents[2]
PER_PROCESS = 250

_RACER = """
import asyncio, json, sys
from pathlib import Path
from bot.ledger import SERVER_CODE, BudgetExceeded, Ledger
from bot.db import open_store
from tests.ledger.helpers import USD, budget

async def main() -> None:
    name, path, url = sys.argv[1], Path(sys.argv[2]), sys.argv[3] or None
    db = await open_store(url, path, server_code=SERVER_CODE)
    ledger = Ledger(db, budget(
        default_bot_cap_usd="10.00", max_concurrent_jobs_per_user=1000,
        max_concurrent_jobs_per_guild=1000))
    print("ready", flush=True)
    sys.stdin.readline()  # the starting gun: both processes go at once

    async def one(n: int) -> str:
        guild = 900_000_000_000_000_000 + n % 13
        try:
            await ledger.reserve(f"{name}-{n}", 1000 + n, guild, [], USD)
        except BudgetExceeded as exc:
            return exc.limit
        return "held"

    outcomes = await asyncio.gather(*(one(n) for n in range(int(sys.argv[4]))))
    print(json.dumps({o: outcomes.count(o) for o in set(outcomes)}), flush=True)
    await db.close()

asyncio.run(main())
"""


async def _racer(name: str, target: Target) -> asyncio.subprocess.Process:
    racer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        textwrap.dedent(_RACER),
        name,
        str(target.path or ""),
        target.url or "",
        str(PER_PROCESS),
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert racer.stdout is not None
    line = await asyncio.wait_for(racer.stdout.readline(), timeout=60)
    if line != b"ready\n":
        _, err = await racer.communicate()
        raise AssertionError(f"{name} did not start: {line!r} {err.decode()[-2000:]}")
    return racer


async def test_two_processes_racing_500_reserves_against_a_bot_cap_make_exactly_10_holds(
    target: Target,
) -> None:
    migrated = await target.open()  # migrate once, so both racers start on the same schema
    await migrated.close()
    racers = [await _racer("a", target), await _racer("b", target)]
    for racer in racers:  # fire
        assert racer.stdin is not None
        racer.stdin.write(b"go\n")
        await racer.stdin.drain()

    results = [await asyncio.wait_for(r.communicate(), timeout=120) for r in racers]

    counts: dict[str, int] = {}
    for racer, (out, err) in zip(racers, results, strict=True):
        assert racer.returncode == 0, err.decode()[-2000:]
        for outcome, n in json.loads(out.decode().strip().splitlines()[-1]).items():
            counts[outcome] = counts.get(outcome, 0) + n
    assert counts == {"held": 10, "bot": 2 * PER_PROCESS - 10}
    db = await target.open()
    try:
        assert await peek(db, "SELECT count(*), sum(amount) FROM holds") == [(10, 10 * USD)]
        bot_row = "SELECT spent + held FROM totals WHERE guild_id = 0 AND user_id = 0"
        assert await peek(db, bot_row) == [(10 * USD,)]
        ledger = Ledger(db, budget(default_bot_cap_usd="10.00"))
        assert await ledger.audit() == []
    finally:
        await db.close()
