"""The transcoder's work folder: owner-only, and cleared of what a dead process left."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable
from pathlib import Path

PREFIX = "fit-"
"""Every file the transcoder writes in its folder starts so; `clean_leftovers` removes them."""


def private_folder(path: Path) -> Path:
    """Create `path` (and its parents) and make it owner-only (0700): videos are members'
    data."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def owner_only_file(path: Path) -> Path:
    """Create `path` empty and owner-only (0600) for a child to write into: the encoder
    truncates it and keeps its mode. (A child's umask cannot be set through uvloop, the
    bot's event loop, and a `preexec_fn` is not safe in a process with threads.)"""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    path.chmod(0o600)
    return path


def remove(paths: Iterable[Path]) -> None:
    """Delete `paths`, those already gone included."""
    for path in paths:
        path.unlink(missing_ok=True)


def clean_leftovers(folder: Path, *, older_than_seconds: float = 3600.0) -> int:
    """Remove the transcoder's files left in `folder` by a process that died (call it at
    start-up): only its own (`fit-*`), only those older than `older_than_seconds` (another
    process may share the folder and be encoding now). Returns how many were removed."""
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in folder.glob(f"{PREFIX}*"):
        with contextlib.suppress(FileNotFoundError):
            if path.is_file() and path.stat().st_mtime <= cutoff:
                path.unlink()
                removed += 1
    return removed
