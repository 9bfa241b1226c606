"""The regex worker process (run by `bot.safety.regex_sandbox`; the standard library only).

One JSON request per line on stdin, one JSON answer per line on stdout. Patterns are compiled
once and kept; a runaway match is the parent's business: it kills this process.
"""

import json
import re
import sys
import time
from typing import Any

_compiled: dict[tuple[str, int], re.Pattern[str]] = {}
_CACHE_MAX = 512


def _pattern(text: str, flags: int) -> re.Pattern[str]:
    key = (text, flags)
    found = _compiled.get(key)
    if found is None:
        if len(_compiled) >= _CACHE_MAX:
            _compiled.clear()
        found = _compiled[key] = re.compile(text, flags)
    return found


def _time(request: dict[str, Any]) -> dict[str, Any]:
    pattern = _pattern(request["pattern"], request["flags"])
    started = time.perf_counter()
    pattern.search(request["text"])
    return {"ok": True, "seconds": time.perf_counter() - started}


def _search(request: dict[str, Any]) -> dict[str, Any]:
    for index, text in enumerate(request["patterns"]):
        pattern = _pattern(text, request["flags"])
        if any(pattern.search(piece) for piece in request["texts"]):
            return {"ok": True, "index": index}
    return {"ok": True, "index": None}


def main() -> None:
    handlers: dict[str, Any] = {"time": _time, "search": _search, "ping": lambda _: {"ok": True}}
    while True:
        line = sys.stdin.readline()
        if not line:
            return
        try:
            request = json.loads(line)
            answer = handlers[request["op"]](request)
        except Exception as exc:  # a bad pattern or request: say so, keep serving
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
