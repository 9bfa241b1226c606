"""The spend chart (#18): drawn with Pillow in a real font that writes every Latin and Traditional
Chinese character its labels use, small enough for Discord, with a clear fallback."""

from __future__ import annotations

import logging
from datetime import date
from importlib import resources

import pytest
from PIL import ImageFont

from bot.exts.budget import _chart
from bot.exts.budget._chart import BAR, PLOT, TODAY, spend_chart_png
from bot.i18n import MESSAGES
from bot.jobs.forecast import DaySpend
from tests.png_reader import read_png

MARCH = [DaySpend(date(2025, 3, d), 0) for d in range(1, 32)]


def font(size: int = 22) -> ImageFont.FreeTypeFont:
    path = resources.files("bot.exts.budget").joinpath("fonts", _chart.FONT_FILE)
    with resources.as_file(path) as file:
        return ImageFont.truetype(str(file), size)


def test_the_shipped_font_writes_every_character_of_the_charts_labels() -> None:
    # A character the font lacks is drawn as its "missing" box: the same as a private-use one.
    face = font()
    missing = bytes(face.getmask("\ue000"))
    labels = "".join(
        text
        for messages in MESSAGES.values()
        for key, text in messages.items()
        if key.startswith(("chart.", "period."))
    )
    labels += "0123456789.USD"
    lacking = sorted({c for c in labels if not c.isspace() and bytes(face.getmask(c)) == missing})
    assert not lacking, f"run tools/subset_chart_font.py: the font lacks {lacking}"


def test_a_full_month_stays_small_and_each_language_draws_its_own_labels() -> None:
    spent = [DaySpend(d.day, 250_000 * (n % 5 + 1)) for n, d in enumerate(MARCH)]
    english = spend_chart_png(spent, today=date(2025, 3, 31), budget=50_000_000)
    chinese = spend_chart_png(
        spent, today=date(2025, 3, 31), budget=50_000_000, locale="zh-TW", server=True
    )
    assert len(english) < 100_000
    assert len(chinese) < 100_000
    assert read_png(english, PLOT).rows == read_png(chinese, PLOT).rows, "the same bars"
    assert read_png(english).rows != read_png(chinese).rows, "other words around them"
    plot = read_png(english, PLOT)
    assert plot.columns_with(TODAY)
    bars = plot.columns_with(BAR)
    assert sum(1 for i, x in enumerate(bars) if i == 0 or bars[i - 1] != x - 1) == 30


def test_without_its_font_the_chart_falls_back_to_english_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_chart, "FONT_FILE", "missing.otf")
    _chart._font.cache_clear()
    try:
        days = [DaySpend(date(2025, 3, 5), 300_000)]
        png = spend_chart_png(days, today=date(2025, 3, 5), budget=None, locale="zh-TW")
    finally:
        _chart._font.cache_clear()
    assert read_png(png, PLOT).columns_with(TODAY), "still a chart"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3, "once per size, then cached"
    assert "charts use English labels" in warnings[0]
