"""Owner-only files and folders: what the bot writes on disk is its user's alone.

The ledger (prompts, member ids, money), the heartbeat, held flagged videos and downloads are
created 0600 in folders created 0700, whatever the process's umask; `atlas-video-bot run` also
sets the umask to 077 so nothing else it creates is readable by other users of the host. A
folder that already exists is left as it is (it may be a shared one, such as /tmp): `exposed`
tells the bot to warn about it. Standard library only, below every other module.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
PRIVATE_UMASK = 0o077


def restrict_umask() -> int:
    """Make everything this process creates from now on owner-only; the previous umask."""
    return os.umask(PRIVATE_UMASK)


def private_folder(path: Path) -> Path:
    """Create `path` and its missing parents owner-only (0700); existing ones stay as they are."""
    missing: list[Path] = []
    folder = Path(path)
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        with contextlib.suppress(FileExistsError):
            created.mkdir(mode=PRIVATE_FOLDER)
            os.chmod(created, PRIVATE_FOLDER)  # mkdir's mode passes through the umask
    if not path.is_dir():
        raise NotADirectoryError(f"{path} is not a folder")
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty and owner-only if it is missing, and make it owner-only (0600) if
    it exists: it is one of the bot's own files."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)
    return path


def tighten(path: Path) -> None:
    """Make an existing file of the bot's owner-only (a missing one is fine)."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, PRIVATE_FILE)


def open_private(path: Path) -> BinaryIO:
    """`path` opened for writing from scratch, owner-only (0600) whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically (a reader never sees half), owner-only."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open_private(partial) as out:
        out.write(data)
    os.replace(partial, path)


def exposed(path: Path) -> bool:
    """Whether other users of the host may read or enter `path` (for a warning)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRWXG | stat.S_IRWXO))


__all__ = [
    "PRIVATE_FILE",
    "PRIVATE_FOLDER",
    "exposed",
    "open_private",
    "private_file",
    "private_folder",
    "restrict_umask",
    "tighten",
    "write_private",
]
