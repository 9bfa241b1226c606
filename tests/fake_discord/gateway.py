"""The fake gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME, dispatch.

Frames are plain TEXT JSON; discord.py parses text frames without zlib/zstd, so the ``compress``
query parameter it sends is accepted and ignored.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, REQUEST_MEMBERS = 0, 1, 2, 6, 8
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11
HEARTBEAT_INTERVAL_MS = 41_250
CLOSE_UNKNOWN_ERROR = 4000  # resumable
CLOSE_SESSION_TIMED_OUT = 4009  # reconnect with a new session
CLOSE_AUTHENTICATION_FAILED = 4004


@dataclass
class GatewaySession:
    """One gateway session: its sequence and every dispatch, kept so a RESUME can replay them."""

    id: str
    identify: dict[str, Any]
    seq: int = 0
    frames: list[dict[str, Any]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    valid: bool = True
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def intents(self) -> int:
        return int(self.identify.get("intents") or 0)


class Gateway:
    """Serves the websocket at ``/gateway`` (identify) and ``/gateway-resume`` (resume URL)."""

    def __init__(
        self,
        *,
        token: Callable[[], str],
        ready_payload: Callable[[str], dict[str, Any]],
        guild_payloads: Callable[[], list[dict[str, Any]]],
        members_chunk: Callable[[int], dict[str, Any]],
        notify: Callable[[], Awaitable[None]],
    ) -> None:
        self._token = token
        self._ready_payload = ready_payload
        self._guild_payloads = guild_payloads
        self._members_chunk = members_chunk
        self._notify = notify
        self.session: GatewaySession | None = None
        self.ready = asyncio.Event()
        self.connections: list[dict[str, str]] = []  # query of every websocket connection
        self.identifies = 0
        self.resumes = 0
        self.heartbeats = 0
        self._sockets: set[web.WebSocketResponse] = set()

    @property
    def intents(self) -> int:
        """The intents of the current session (0 before IDENTIFY)."""
        return self.session.intents if self.session else 0

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """One websocket connection, from HELLO until it closes."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections.append({**dict(request.query), "path": request.path})
        if request.query.get("encoding", "json") != "json":
            await ws.close(code=4002, message=b"only encoding=json is supported")
            return ws
        self._sockets.add(ws)
        try:
            await ws.send_str(
                json.dumps(
                    {"op": HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": None}
                )
            )
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                await self._on_frame(ws, json.loads(msg.data))
        finally:
            self._sockets.discard(ws)
            if self.session is not None and self.session.ws is ws:
                self.session.ws = None
        return ws

    async def _on_frame(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            self.heartbeats += 1
            await ws.send_str(json.dumps({"op": HEARTBEAT_ACK, "d": None}))
        elif op == IDENTIFY:
            await self._identify(ws, data or {})
        elif op == RESUME:
            await self._resume(ws, data or {})
        elif op == REQUEST_MEMBERS and self.session is not None and isinstance(data, dict):
            asked = data.get("guild_id")
            guild_ids: list[Any] = asked if isinstance(asked, list) else [asked]
            for guild_id in guild_ids:
                chunk = self._members_chunk(int(guild_id))
                if data.get("nonce"):
                    chunk["nonce"] = data["nonce"]
                await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data.get("token") != self._token():
            await ws.close(code=CLOSE_AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return
        self.identifies += 1
        session = GatewaySession(id=secrets.token_hex(16), identify=data, ws=ws)
        self.session = session
        ready = self._ready_payload(session.id)
        if "shard" in data:  # a sharded bot's READY says which shard it is
            ready["shard"] = data["shard"]
        await self.dispatch("READY", ready)
        for guild in self._guild_payloads():
            await self.dispatch("GUILD_CREATE", guild)
        self.ready.set()
        await self._notify()

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        session = self.session
        if (
            session is None
            or not session.valid
            or data.get("session_id") != session.id
            or data.get("token") != self._token()
        ):
            await ws.send_str(json.dumps({"op": INVALID_SESSION, "d": False}))
            return
        self.resumes += 1
        since = int(data.get("seq") or 0)
        async with session.lock:
            session.ws = ws
            for frame in session.frames:
                if frame["s"] > since:
                    await ws.send_str(json.dumps(frame))
            await self._send_locked(session, "RESUMED", {})
        await self._notify()

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH; while the bot is disconnected it waits for the RESUME replay."""
        session = self.session
        if session is None:
            raise RuntimeError(f"cannot dispatch {event}: the bot has not identified")
        async with session.lock:
            await self._send_locked(session, event, data)

    async def _send_locked(self, session: GatewaySession, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.frames.append(frame)
        if session.ws is not None and not session.ws.closed:
            try:
                await session.ws.send_str(json.dumps(frame))
            except ConnectionError:
                session.ws = None

    async def drop(self, *, resumable: bool = True) -> None:
        """Close the bot's socket the way Discord does on an outage (resumable) or a timeout."""
        session = self.session
        if session is None or session.ws is None:
            raise RuntimeError("no gateway connection to drop")
        async with session.lock:
            ws, session.ws = session.ws, None
            if not resumable:
                session.valid = False
        code = CLOSE_UNKNOWN_ERROR if resumable else CLOSE_SESSION_TIMED_OUT
        await ws.close(code=code, message=b"fake Discord dropped the connection")

    async def close(self) -> None:
        """Close every socket (the test is over)."""
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"fake Discord shutting down")
