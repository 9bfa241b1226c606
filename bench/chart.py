"""How long the spend chart takes to draw and how much memory it adds (#18).

Draws a full month (every day spent, the shipped defaults: 800x460, the bundled font) in
English and in Traditional Chinese, and the hand-drawn chart it replaced (from git, when the
repository is there) for comparison. Prints: the import and first-render cost, the median and
p95 render time over many renders, the memory Pillow and the font add to the process (RSS),
the peak Python allocation of one render, and the PNG sizes. Writes the pictures to --out.

    .venv/bin/python bench/chart.py [--renders 200] [--out /tmp]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
OLD_CHART_COMMIT = "27586f6"  # main before the Pillow chart
sys.path.insert(0, str(ROOT))


def rss_kib() -> int:
    """This process's resident memory, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def old_chart() -> ModuleType | None:
    """The hand-drawn chart as it was, or None outside a git checkout."""
    try:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{OLD_CHART_COMMIT}:bot/exts/budget/_chart.py"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    spec = importlib.util.spec_from_loader("old_chart", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    exec(compile(source, "old_chart.py", "exec"), module.__dict__)
    return module


def timed(render: object, renders: int) -> tuple[float, float]:
    """Median and p95 of `renders` calls, in milliseconds."""
    laps = []
    for _ in range(renders):
        start = time.perf_counter()
        render()  # type: ignore[operator]
        laps.append((time.perf_counter() - start) * 1000)
    laps.sort()
    return statistics.median(laps), laps[int(len(laps) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--renders", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("/tmp"))
    args = parser.parse_args()

    from bot.jobs.forecast import DaySpend

    month = [DaySpend(date(2026, 12, d), 150_000 * (d % 7 + 1)) for d in range(1, 32)]
    today = date(2026, 12, 31)
    # What a running bot has loaded anyway (discord.py, the budget cog's imports): not the
    # chart's cost. Only Pillow, the font and the renders are measured.
    import bot.app
    import bot.ui.admin
    import bot.ui.amounts  # noqa: F401

    before = rss_kib()
    start = time.perf_counter()
    from PIL import Image, ImageDraw, ImageFont  # noqa: F401

    imported = (time.perf_counter() - start) * 1000
    from bot.exts.budget._chart import spend_chart_png

    start = time.perf_counter()
    english = spend_chart_png(month, today=today, budget=50_000_000)
    first = (time.perf_counter() - start) * 1000
    chinese = spend_chart_png(month, today=today, budget=50_000_000, locale="zh-TW", server=True)
    added = rss_kib() - before
    tracemalloc.start()
    spend_chart_png(month, today=today, budget=50_000_000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    median, p95 = timed(
        lambda: spend_chart_png(month, today=today, budget=50_000_000), args.renders
    )
    zh_median, _ = timed(
        lambda: spend_chart_png(month, today=today, budget=50_000_000, locale="zh-TW"), args.renders
    )
    (args.out / "chart-new-en.png").write_bytes(english)
    (args.out / "chart-new-zh-TW.png").write_bytes(chinese)
    print(f"new chart (Pillow, {len(month)} days, 800x460):")
    print(f"  import Pillow: {imported:.1f} ms; first render (loads the font): {first:.1f} ms")
    print(f"  render: median {median:.2f} ms, p95 {p95:.2f} ms (en)")
    print(f"  render: median {zh_median:.2f} ms (zh-TW)")
    print(f"  memory added: {added / 1024:.1f} MiB RSS (Pillow, the font, two renders)")
    print(f"  one render's peak Python allocation: {peak / 1024:.0f} KiB")
    print(f"  PNG: {len(english) / 1024:.1f} KiB (en), {len(chinese) / 1024:.1f} KiB (zh-TW)")
    old = old_chart()
    if old is not None:
        png = old.spend_chart_png(month, today=today, budget=50_000_000)
        old_median, old_p95 = timed(
            lambda: old.spend_chart_png(month, today=today, budget=50_000_000), args.renders
        )
        (args.out / "chart-old.png").write_bytes(png)
        print("old chart (hand-drawn, 480x180):")
        print(f"  render: median {old_median:.2f} ms, p95 {old_p95:.2f} ms")
        print(f"  PNG: {len(png) / 1024:.1f} KiB")
    print(f"pictures: {args.out}/chart-new-en.png, chart-new-zh-TW.png, chart-old.png")


if __name__ == "__main__":
    main()
