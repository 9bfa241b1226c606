"""Where the bot's CPU goes, from py-spy's collapsed stacks (bench/load.py --py-spy ...).

    .venv/bin/python bench/stacks.py bot-stacks.txt [--jobs N]

Each sample is put in the first matching bucket (the order below matters: a Discord edit made
by a job counts as an edit). Shares are of the samples taken while the bot was on CPU.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# (bucket, pattern looked for in the stack), first match wins.
MAIN_BUCKETS = (
    ("edit the member's message (discord.py)", "reporter.py"),
    ("slash command: prepare, reply (cogs, discord.py)", "cogs/video.py"),
    ("slash command: discord.py dispatch", "app_commands/"),
    ("gateway: receive and parse events", "gateway.py"),
    ("Atlas: download the video", "_stream_to|download \\(bot/atlas"),
    ("webhook endpoint (aiohttp server, verify)", "webhook_server.py|atlas/webhooks.py|web_"),
    ("Atlas: submit and polls", "bot/atlas/client.py"),
    ("database (event-loop side)", "bot/ledger/|bot/jobs/store.py|aiosqlite"),
    ("learned times", "bot/jobs/eta.py"),
    ("job service (views, progress, settle)", "bot/jobs/"),
    ("logging", "logging/|bot/logs.py"),
    ("lag probe", "botproc.py:[0-9]+\\);probe"),
    ("aiohttp (other)", "aiohttp/"),
    ("event loop and the rest", ""),
)


def bucket_of(thread: str, stack: str) -> str:
    """The bucket of one sample."""
    if "MainThread" not in thread:
        if "aiosqlite" in stack or "sqlite" in thread.lower():
            return "thread: SQLite"
        if "checkpoint" in stack:
            return "thread: WAL checkpoints"
        return "thread: to_thread (files) and others"
    for name, pattern in MAIN_BUCKETS:
        if not pattern or re.search(pattern, stack):
            return name
    raise AssertionError("unreachable")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stacks", type=Path)
    parser.add_argument("--jobs", type=int, help="divide the CPU share by this many jobs")
    parser.add_argument("--cpu-ms-per-job", type=float, help="print ms/job per bucket too")
    args = parser.parse_args()
    buckets: Counter[str] = Counter()
    for line in args.stacks.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        thread, _, frames = stack.partition(";")
        buckets[bucket_of(thread, frames)] += int(count)
    total = sum(buckets.values())
    for name, samples in buckets.most_common():
        share = samples / total
        extra = f"  {share * args.cpu_ms_per_job:5.1f} ms/job" if args.cpu_ms_per_job else ""
        print(f"{share:6.1%}{extra}  {name}")
    print(f"({total} samples)")


if __name__ == "__main__":
    main()
