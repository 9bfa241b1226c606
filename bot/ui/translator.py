"""Slash-command names and descriptions in the member's Discord language, from one table.

discord.py asks an `app_commands.Translator` for every command, group, option name and
description (and every choice name, including autocomplete answers) once per locale when it
syncs; what comes back is published as `name_localizations` / `description_localizations`, so
Discord shows each member the command in their client's language. Members' replies are
localized separately, through `bot.i18n.t`.

The tables are keyed by the English text the cogs declare: a new option or a changed
description simply stays English until it is added here (tests/test_i18n.py says which).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Location

NAME_MAX = 32
DESCRIPTION_MAX = 100
CHOICE_NAME_MAX = 100

_NAME_LOCATIONS = frozenset({Location.command_name, Location.group_name, Location.parameter_name})
_DESCRIPTION_LOCATIONS = frozenset(
    {Location.command_description, Location.group_description, Location.parameter_description}
)


@dataclass(frozen=True)
class CommandTable:
    """One locale's command vocabulary, keyed by the English text."""

    names: Mapping[str, str]
    """Command, group, subcommand and option names: Discord's name rules apply."""
    descriptions: Mapping[str, str]
    """Command, group and option descriptions (1-100 characters)."""
    choices: Mapping[str, str] = field(default_factory=dict)
    """Fixed choice names."""
    choice_patterns: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = ()
    """Choice names built at run time (autocomplete), e.g. "8 s"."""

    def lookup(self, text: str, location: Location) -> str | None:
        """The translation of `text` at `location`, or None to keep the English."""
        if location in _NAME_LOCATIONS:
            return self.names.get(text)
        if location in _DESCRIPTION_LOCATIONS:
            return self.descriptions.get(text)
        if location is Location.choice_name:
            if text in self.choices:
                return self.choices[text]
            for pattern, replace in self.choice_patterns:
                match = pattern.fullmatch(text)
                if match is not None:
                    return replace(match)
        return None


_ZH_TW_NAMES = {
    # Commands and groups.
    "video": "影片",
    "animate": "圖片轉影片",
    "budget": "額度",
    "budget-admin": "額度管理",
    "set-user": "設定成員上限",
    "set-role": "設定身分組上限",
    "set-server-cap": "設定伺服器上限",
    "grant": "給予額度",
    "report": "報表",
    "export": "匯出帳本",
    "resolve": "結算",
    "settings": "設定",
    "show": "查看",
    "defaults": "預設值",
    "model-access": "模型權限",
    "resolution-access": "解析度權限",
    "channel": "頻道",
    "approval": "核准",
    "queue": "佇列",
    "history": "紀錄",
    # Options.
    "prompt": "提示詞",
    "duration": "長度",
    "aspect_ratio": "長寬比",
    "resolution": "解析度",
    "seed": "種子",
    "model": "模型",
    "image": "圖片",
    **{f"image{n}": f"圖片{n}" for n in range(2, 8)},
    "member": "成員",
    "amount": "金額",
    "role": "身分組",
    "reason": "原因",
    "since": "開始日期",
    "until": "結束日期",
    "job": "工作",
    "outcome": "結果",
    "video_model": "影片模型",
    "animate_model": "圖片轉影片模型",
    "reset": "重設",
    "allowed": "允許",
    "threshold": "門檻",
    "timeout_minutes": "等候分鐘數",
    "delivery": "發布位置",
    "mode": "方式",
    "gallery": "作品頻道",
    # Safety (#11).
    "prompt-rules": "提示詞規則",
    "add": "新增",
    "remove": "移除",
    "safety": "安全",
    "unpause": "解除暫停",
    "label": "標籤",
    "words": "字詞",
    "regex": "正規表示式",
    "nsfw_only": "僅限限制級頻道",
    "log_channel": "紀錄頻道",
    "stop_logging": "停止記錄",
    "rejection_limit": "拒絕次數上限",
    "flagged_videos": "被標記的影片",
}

_ZH_TW_DESCRIPTIONS = {
    # /video and /animate.
    "Make a short video from a text prompt.": "用文字提示詞製作一段短影片。",
    "Turn 1-7 images and a prompt into a video.": "把 1 到 7 張圖片和提示詞變成影片。",
    "What should happen in the video?": "影片裡要發生什麼事？",
    "Length in seconds": "影片長度（秒）",
    "Shape of the video": "影片的長寬比",
    "Picture size": "畫面大小",
    "Same seed + same prompt = a similar video (random if left out)": (
        "相同種子 + 相同提示詞 = 相似的影片（不填則隨機）"
    ),
    "Which video model to use": "要使用的影片模型",
    "The first image (PNG, JPEG or WebP, at least 128x128, up to 20 MB)": (
        "第一張圖片（PNG、JPEG 或 WebP，至少 128x128，最大 20 MB）"
    ),
    "Another image": "另一張圖片",
    # /budget and /budget-admin.
    "See what you have spent and have left.": "查看你已使用和剩餘的影片額度。",
    "Set video budgets and see what the server spends.": "設定影片額度，查看伺服器的花費。",
    "Set one member's limit per period.": "設定單一成員每期的上限。",
    "Who": "對象",
    'USD per period, e.g. 2.50, or "default"': '每期的美元金額，例如 2.50；輸入 "default" 恢復預設',
    'USD per period, e.g. 10, or "default"': '每期的美元金額，例如 10；輸入 "default" 恢復預設',
    'USD per period, e.g. 100, or "default"': '每期的美元金額，例如 100；輸入 "default" 恢復預設',
    "Set the limit for members with a role.": "設定具有某個身分組的成員上限。",
    "Which role": "哪個身分組",
    "Set the whole server's ceiling.": "設定整個伺服器的花費上限。",
    "Give a member one-off extra credit.": "給成員一次性的額外額度。",
    "USD, e.g. 1.00": "美元金額，例如 1.00",
    "Why (kept in the ledger)": "原因（會記錄在帳本中）",
    "Totals and top spenders this period.": "本期總計與花費最多的成員。",
    "Download the ledger as CSV.": "下載 CSV 格式的帳本。",
    "First day, YYYY-MM-DD (default: 30 days ago)": "第一天，YYYY-MM-DD（預設：30 天前）",
    "Day after the last, YYYY-MM-DD (default: now)": "最後一天的隔天，YYYY-MM-DD（預設：現在）",
    "Settle a job whose submit is uncertain.": "結算送出結果不明的工作。",
    "The job id (from the report or the job message's footer)": "工作編號（見報表或工作訊息底部）",
    "What Atlas's console shows for it": "Atlas 主控台上顯示的結果",
    # /settings.
    "See and change this server's video settings.": "查看並變更這個伺服器的影片設定。",
    "Show every setting of this server.": "顯示這個伺服器的所有設定。",
    "Set the defaults members get when they leave an option out.": (
        "設定成員未填選項時使用的預設值。"
    ),
    "Default model for /video": "「影片」指令的預設模型",
    "Default model for /animate": "「圖片轉影片」指令的預設模型",
    "Default length in seconds": "預設長度（秒）",
    "Default picture size": "預設畫面大小",
    "Default shape of the video": "預設長寬比",
    "First put every default back to the bot's own": "先把所有預設值恢復為機器人的設定",
    "Allow or forbid a model on this server.": "允許或禁止在這個伺服器使用某個模型。",
    "Which model": "哪個模型",
    "May members use it?": "成員可以使用嗎？",
    "Allow or forbid a resolution (e.g. 4k) on this server.": (
        "允許或禁止在這個伺服器使用某個解析度（例如 4k）。"
    ),
    "Which resolution": "哪個解析度",
    "Allow videos in a channel, or stop allowing them there.": "允許或停止在某個頻道製作影片。",
    "A text channel": "文字頻道",
    "Make videos here? (none listed: every channel)": (
        "可以在這裡製作影片嗎？（未列出任何頻道時：所有頻道皆可）"
    ),
    "Make expensive videos wait for an admin's approval.": "讓昂貴的影片先等管理員核准。",
    'USD: videos quoted above it wait for an admin, or "off"': (
        '美元金額：報價超過此金額的影片需等管理員核准；輸入 "off" 關閉'
    ),
    "How long a video waits for an answer (default 10)": "影片等候回覆的分鐘數（預設 10）",
    "Choose where finished videos are posted.": "選擇完成的影片要發布在哪裡。",
    "Where finished videos go": "完成的影片要發布在哪裡",
    "The gallery channel (for the gallery mode)": "作品頻道（用於作品頻道方式）",
    "Only for videos made in this channel (leave out: the whole server)": (
        "只套用到在這個頻道製作的影片（不填：整個伺服器）"
    ),
    # /queue and /history.
    "Videos waiting and running on this server.": "這個伺服器中等候和製作中的影片。",
    "Your recent videos, with links to each.": "你最近的影片，附上每部影片的連結。",
    "Whose videos (admins only)": "誰的影片（僅限管理員）",
    # /settings prompt-rules, safety and unpause (#11).
    "Block prompts by words or patterns, before anything is held.": (
        "依字詞或規則封鎖提示詞，在預扣任何費用之前。"
    ),
    "Add a rule, or replace the one with its label.": "新增規則，或取代同標籤的規則。",
    "The name members see when a prompt is refused": "提示詞被拒絕時成員看到的名稱",
    "Blocked words or phrases, separated by commas": "要封鎖的字詞或片語，以逗號分隔",
    "Or one regular expression (checked case-insensitively)": "或一個正規表示式（不分大小寫）",
    "Remove a prompt rule.": "移除一條提示詞規則。",
    "The rule's label": "規則的標籤",
    "Age-restricted channels, the log channel, pauses and flagged videos.": (
        "限制級頻道、紀錄頻道、暫停與被標記的影片。"
    ),
    "Make videos only in age-restricted channels?": "只在限制級頻道製作影片？",
    "Where moderation events are written, one line each": "記錄審查事件的頻道，每個事件一行",
    "Stop writing moderation events": "停止記錄審查事件",
    "Rejections by Atlas's moderation in a day that pause a member (default 3)": (
        "一天內被 Atlas 內容審查拒絕幾次後暫停成員（預設 3）"
    ),
    "What happens to a video Atlas flags as sensitive": "Atlas 標記為敏感內容的影片如何處理",
    "Let a paused member make videos again.": "讓被暫停的成員可以再次製作影片。",
    "The member whose video access was paused": "影片權限被暫停的成員",
}

ZH_TW = CommandTable(
    names=_ZH_TW_NAMES,
    descriptions=_ZH_TW_DESCRIPTIONS,
    choices={
        "Atlas billed it: charge": "Atlas 已收費：向成員收費",
        "Atlas did not run it: release": "Atlas 未執行：釋放額度",
        "In the channel": "在原頻道",
        "In a thread per video": "每部影片一個討論串",
        "In the gallery channel": "在作品頻道",
        "By direct message": "以私人訊息傳送",
        "As the server's default": "依照伺服器的預設",
        "Show it behind a spoiler": "以暴雷遮罩顯示",
        "Hold it for a moderator's review": "保留給版主審核",
    },
    choice_patterns=((re.compile(r"(\d+) s"), lambda m: f"{m[1]} 秒"),),
)

TABLES: dict[discord.Locale, CommandTable] = {discord.Locale.taiwan_chinese: ZH_TW}


def _in_indic_or_thai(char: str) -> bool:
    # Discord also allows Devanagari and Thai, including their combining marks (category M).
    code = ord(char)
    return 0x0900 <= code <= 0x097F or 0xA8E0 <= code <= 0xA8FF or 0x0E00 <= code <= 0x0E7F


def is_valid_command_name(name: str) -> bool:
    """Discord's rule for command and option names, lowercase wherever the script has case:
    `^[-_\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`."""
    if not 1 <= len(name) <= NAME_MAX or name != name.lower():
        return False
    return all(
        char in "-_" or unicodedata.category(char)[0] in "LN" or _in_indic_or_thai(char)
        for char in name
    )


def table_problems(table: CommandTable) -> list[str]:
    """What Discord would reject in `table` (bad names, over-long texts); empty when fine."""
    problems = [
        f"name {english!r} -> {name!r} breaks Discord's name rules"
        for english, name in table.names.items()
        if not is_valid_command_name(name)
    ]
    problems += [
        f"description {english!r} is longer than {DESCRIPTION_MAX} characters"
        for english, text in table.descriptions.items()
        if not 1 <= len(text) <= DESCRIPTION_MAX
    ]
    problems += [
        f"choice {english!r} is longer than {CHOICE_NAME_MAX} characters"
        for english, text in table.choices.items()
        if not 1 <= len(text) <= CHOICE_NAME_MAX
    ]
    return problems


class CommandTranslator(app_commands.Translator):
    """Translates command strings for the locales in `tables` (zh-TW by default)."""

    def __init__(self, tables: Mapping[discord.Locale, CommandTable] | None = None) -> None:
        self.tables = dict(TABLES if tables is None else tables)

    async def load(self) -> None:
        """Refuse a table Discord would reject, before a sync fails on it."""
        problems = [
            f"{locale}: {problem}"
            for locale, table in self.tables.items()
            for problem in table_problems(table)
        ]
        if problems:
            raise ValueError("command translations Discord would reject: " + "; ".join(problems))

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """The text for `locale`, or None to let Discord show the English."""
        table = self.tables.get(locale)
        if table is None:
            return None
        return table.lookup(string.message, context.location)
