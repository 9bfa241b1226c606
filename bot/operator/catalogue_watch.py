"""The catalogue held against Atlas's model list and schemas while the bot runs.

At start, and every `REFRESH_SECONDS`, `CatalogueWatch` reads Atlas's model list and the
schemas of the configured models (`ModelSchemas`, which the job layer also uses to refuse a
request Atlas would refuse before money is held), and logs as a WARNING every problem
`atlas-video-bot check` would print as a FAIL line, once each. Never blocking: Atlas may be
down, and the bot serves on as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.atlas import AtlasError
from bot.atlas.conformance import check_catalogue
from bot.atlas.schemas import ModelSchemas
from bot.catalogue import Catalogue

log = logging.getLogger(__name__)

REFRESH_SECONDS = 30 * 60.0
"""How often the model list and schemas are read again."""
RETRY_SECONDS = 60.0
"""After a failed read, how soon to try again."""


class CatalogueWatch:
    """Keeps `schemas` fresh and says, once each, what Atlas would refuse of the catalogue."""

    def __init__(
        self,
        catalogue: Catalogue,
        schemas: ModelSchemas,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._catalogue = catalogue
        self._schemas = schemas
        self._sleep = sleep
        self._said: set[str] = set()
        self._unreadable_said = False

    @property
    def schemas(self) -> ModelSchemas:
        """The model list and schemas as last read."""
        return self._schemas

    async def run(self) -> None:
        """Read now, then now and then, until cancelled."""
        while True:
            ok = await self.check_once()
            await self._sleep(REFRESH_SECONDS if ok else RETRY_SECONDS)

    async def check_once(self) -> bool:
        """Read the list and schemas and warn of each new problem; False when unreadable."""
        try:
            await self._schemas.refresh()
        except AtlasError as exc:
            if not self._unreadable_said:
                log.warning(
                    "cannot read Atlas's model list (%s): requests are not checked against "
                    "the models' schemas until it can be read",
                    exc,
                )
                self._unreadable_said = True
            return False
        self._unreadable_said = False
        for finding in check_catalogue(self._catalogue, self._schemas):
            line = f"{finding.model_id}: {finding.text}"
            if finding.ok or line in self._said:
                continue
            self._said.add(line)
            log.warning("catalogue: %s (see `atlas-video-bot check`)", line)
        return True


__all__ = ["CatalogueWatch"]
