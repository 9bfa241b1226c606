"""Make the spend chart's font: Noto Sans CJK TC, cut down to the characters the chart writes.

The chart writes Latin (English labels, USD amounts, day numbers) and Traditional Chinese
(its zh-TW labels). Noto Sans CJK TC covers both, under the SIL Open Font License 1.1; the whole
face is 16 MB, the characters the chart needs about 40 KB. Run again after changing a `chart.`
or `period.` message in bot/i18n/zh_tw.py (tests/exts/budget/test_chart.py says when):

    apt-get install fonts-noto-cjk            # Debian's copy of googlefonts/noto-cjk
    pip install fonttools                     # only for this script, not a bot dependency
    python tools/subset_chart_font.py

The subset is renamed "AVB Chart Sans TC": the OFL lets anyone modify and ship the font, and a
modified copy must not carry the Reserved Font Name ("Source", from Source Han Sans).
"""

from __future__ import annotations

import string
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FACE = "Noto Sans CJK TC"
TARGET = ROOT / "bot" / "exts" / "budget" / "fonts" / "ChartSansTC-Regular.otf"
FAMILY = "AVB Chart Sans TC"
EXTRA = "·—–…%％／：，（）$+-"


def chart_text() -> str:
    """Every character the chart may write."""
    sys.path.insert(0, str(ROOT))
    from bot.i18n import MESSAGES

    chinese = "".join(
        text
        for messages in MESSAGES.values()
        for key, text in messages.items()
        if key.startswith(("chart.", "period."))
    )
    return string.printable.strip() + " " + EXTRA + chinese


def main() -> None:
    collection = TTCollection(str(SOURCE))
    font = next(f for f in collection.fonts if f["name"].getDebugName(4) == FACE)
    options = subset.Options()
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    options.layout_features = ["kern", "palt", "locl"]
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chart_text())
    subsetter.subset(font)
    names = font["name"]
    for record in names.names:
        if record.nameID in (1, 4, 16):
            record.string = FAMILY if record.nameID != 4 else f"{FAMILY} Regular"
        elif record.nameID == 6:
            record.string = FAMILY.replace(" ", "") + "-Regular"
        elif record.nameID == 3:
            record.string = f"{FAMILY} subset of {FACE}"
    font["CFF "].cff.fontNames = [FAMILY.replace(" ", "") + "-Regular"]
    font.save(str(TARGET))
    print(f"{TARGET}: {TARGET.stat().st_size} bytes, {len(set(chart_text()))} characters")


if __name__ == "__main__":
    main()
