"""`Transcoder`: makes a video fit a byte limit, with the encoder run as separate processes.

At most `max_concurrent` encodes run at once; the others wait in a first-come, first-served
line and hear how many jobs are ahead of them. Each job has a timeout; a job that times out,
fails or is cancelled, and every job still running at `close()`, has its process group killed
and its files removed. The output is what plays inline in every Discord client: H.264 yuv420p
with the `moov` box in front and stereo AAC, at a target bitrate under a VBV cap so its size is
predictable; it is verified (size, codecs, duration, a full decode) before it is handed over.

Files go through the encoder only: Python never reads a video into memory.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.transcode.encoder import Encoder
from bot.transcode.errors import (
    CannotFit,
    EncoderFailed,
    EncodeTimedOut,
    TranscodeError,
    UnreadableInput,
)
from bot.transcode.files import PREFIX, owner_only_file, private_folder, remove
from bot.transcode.plan import (
    DEFAULT_POLICY,
    Impossible,
    Policy,
    Rendition,
    Source,
    Untouched,
    plan_fit,
    plan_retry,
)
from bot.transcode.probe import MediaInfo, decodes, faststart, probe
from bot.transcode.process import kill_group, run

DEFAULT_PRESET = "veryfast"
NICENESS = 19
"""How much less urgent than the bot its encoders run (19: the least urgent Linux has), so a
line of 4k videos to encode does not slow the bot's answers, nor the delivery of the videos
that need no encoding. Linux shares the CPU by thread and an encoder runs a dozen threads:
at 10 two encoders still took about a third of the cores from a busy bot (bench/README.md).
An idle machine gives them all of it at any niceness."""
DURATION_TOLERANCE_SECONDS = 0.2
MAX_ATTEMPTS = 2
INPUT_DAMAGED = (
    "partial file",
    "corrupt input packet",
    "Invalid data found",
    "Error while decoding",  # ffmpeg before 7
    "[in#0",
    "[dec:",
)
"""What ffmpeg's errors about a damaged input (a truncated download) contain."""


@dataclass(frozen=True)
class Fitted:
    """What `fit` did. `path` is the source itself when it was `changed=False` (it fitted);
    otherwise a new file in the work folder, the caller's to remove once sent."""

    path: Path
    changed: bool
    width: int
    height: int
    size_bytes: int
    video_kbps: int | None
    audio_kbps: int | None
    audio_copied: bool
    seconds: float
    attempts: int
    source: MediaInfo


@dataclass(eq=False)
class _Waiter:
    future: asyncio.Future[None]
    on_wait: Callable[[int], None] | None


@dataclass
class _Job:
    """One fit's files, so that every exit removes them."""

    token: str = field(default_factory=lambda: secrets.token_hex(8))
    temporary: list[Path] = field(default_factory=list)


class Transcoder:
    """Fits videos to upload limits; one per process, built once, closed at shutdown."""

    def __init__(
        self,
        encoder: Encoder,
        work_dir: Path,
        *,
        max_concurrent: int | None = None,
        timeout_seconds: float = 300.0,
        policy: Policy = DEFAULT_POLICY,
        preset: str = DEFAULT_PRESET,
        cpus: int | None = None,
        niceness: int = NICENESS,
    ) -> None:
        self.encoder = encoder
        self.work_dir = work_dir
        self.cpus = cpus or os.cpu_count() or 1
        self.max_concurrent = max_concurrent or self.cpus
        self.timeout_seconds = timeout_seconds
        self.policy = policy
        self.preset = preset
        self.niceness = niceness
        self.peak_encoding = 0
        self._free = self.max_concurrent
        self._line: deque[_Waiter] = deque()
        self._processes: set[asyncio.subprocess.Process] = set()
        self._active = 0
        self._watchers: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._closed = False
        private_folder(work_dir)

    # -- what a caller can see -------------------------------------------------------------

    @property
    def encoding(self) -> int:
        """Encoder processes running now (never more than `max_concurrent`)."""
        return len(self._processes)

    @property
    def encoder_pids(self) -> tuple[int, ...]:
        """The running encoders' process ids (each leads its own process group)."""
        return tuple(process.pid for process in self._processes)

    @property
    def waiting(self) -> int:
        """Jobs waiting in line for the encoder."""
        return len(self._line)

    async def wait_for_encoders(self, count: int) -> None:
        """Return once `count` encoder processes are running (for tests and monitoring)."""
        await self._wait_until(lambda: self.encoding >= count)

    # -- the work --------------------------------------------------------------------------

    async def fit(
        self,
        source: Path,
        limit_bytes: int,
        *,
        on_wait: Callable[[int], None] | None = None,
        on_start: Callable[[], None] | None = None,
    ) -> Fitted:
        """Make `source` fit `limit_bytes`: the source itself when it fits, else a verified
        H.264/AAC rendition under the limit.

        `on_wait(ahead)` is called while the job waits for the encoder, each time the number of
        jobs ahead of it changes; `on_start()` when its encoding starts. Raises `CannotFit`
        (give the link), `UnreadableInput`, `EncoderFailed`, `EncodeTimedOut`, or
        `TranscodeError` once closed."""
        self._check_open()
        started = time.monotonic()
        info = await probe(source, self.encoder)
        stat = await asyncio.to_thread(source.stat)
        original = Source(
            size_bytes=stat.st_size,
            duration=info.duration,
            width=info.width,
            height=info.height,
            has_audio=info.has_audio,
            fps=info.fps or 30.0,
            copyable_audio_kbps=_copyable_audio(info),
        )
        plan = plan_fit(original, limit_bytes, self.policy)
        if isinstance(plan, Untouched):
            return Fitted(
                path=source,
                changed=False,
                width=info.width,
                height=info.height,
                size_bytes=original.size_bytes,
                video_kbps=None,
                audio_kbps=None,
                audio_copied=info.has_audio,
                seconds=time.monotonic() - started,
                attempts=0,
                source=info,
            )
        if isinstance(plan, Impossible):
            raise CannotFit(plan.reason)
        await self._acquire(on_wait)
        self._active += 1
        job = _Job()
        try:
            if on_start is not None:
                on_start()
            try:
                async with asyncio.timeout(self.timeout_seconds):
                    fitted = await self._encode(source, info, original, plan, limit_bytes, job)
            except TimeoutError:
                raise EncodeTimedOut(
                    f"encoding took over {self.timeout_seconds:.0f} s; it was stopped"
                ) from None
        finally:
            self._release()
            try:
                await asyncio.to_thread(remove, job.temporary)
            finally:
                self._active -= 1
                self._changed()
        return replace(fitted, seconds=time.monotonic() - started)

    async def _encode(
        self,
        source: Path,
        info: MediaInfo,
        original: Source,
        rendition: Rendition,
        limit_bytes: int,
        job: _Job,
    ) -> Fitted:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            output = self.work_dir / f"{PREFIX}{job.token}.{attempt}.part.mp4"
            job.temporary.append(output)
            await asyncio.to_thread(owner_only_file, output)
            await self._run_encoder(source, info, rendition, output)
            size = (await asyncio.to_thread(output.stat)).st_size
            if size <= limit_bytes:
                await self._verify(output, info)
                final = self.work_dir / f"{PREFIX}{job.token}.mp4"
                await asyncio.to_thread(output.replace, final)
                return Fitted(
                    path=final,
                    changed=True,
                    width=rendition.width,
                    height=rendition.height,
                    size_bytes=size,
                    video_kbps=rendition.video_kbps,
                    audio_kbps=rendition.audio_kbps,
                    audio_copied=rendition.copy_audio,
                    seconds=0.0,  # set by `fit`
                    attempts=attempt,
                    source=info,
                )
            await asyncio.to_thread(output.unlink, missing_ok=True)
            retry = plan_retry(original, limit_bytes, rendition, size, self.policy)
            if isinstance(retry, Impossible):
                raise CannotFit(f"the output came out at {size} bytes; {retry.reason}")
            rendition = retry
        raise CannotFit(f"{MAX_ATTEMPTS} attempts came out over {limit_bytes} bytes")

    async def _run_encoder(
        self, source: Path, info: MediaInfo, rendition: Rendition, output: Path
    ) -> None:
        self._check_open()
        share = self._cores_free()
        threads = str(share)
        argv = [self.encoder.path, "-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y"]
        # -xerror: a damaged input stops the encode instead of making a shorter video.
        argv += ["-xerror", "-threads", threads, "-i", str(source), "-map", "0:v:0"]
        if (rendition.width, rendition.height) != (info.width, info.height):
            argv += ["-vf", f"scale={rendition.width}:{rendition.height}:flags=bicubic"]
        argv += [
            "-c:v", "libx264",
            "-preset", self.preset,
            "-pix_fmt", "yuv420p",
            "-b:v", f"{rendition.video_kbps}k",
            "-maxrate", f"{rendition.maxrate_kbps}k",
            "-bufsize", f"{rendition.bufsize_kbits}k",
            # x264's own ratio: 1.5 frame threads per core (they wait on each other's rows).
            "-threads", str(share * 3 // 2),
            "-filter_threads", threads,
        ]  # fmt: skip
        if rendition.copy_audio:
            argv += ["-map", "0:a:0", "-c:a", "copy"]
        elif rendition.audio_kbps:
            argv += ["-map", "0:a:0", "-c:a", "aac", "-b:a", f"{rendition.audio_kbps}k", "-ac", "2"]
        argv += ["-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", str(output)]
        finished = await run(argv, watch=self._watch, niceness=self.niceness)
        if finished.returncode != 0:
            self._check_open()
            if any(marker in line for line in finished.stderr for marker in INPUT_DAMAGED):
                raise UnreadableInput(f"{source.name} is damaged: {finished.stderr[-1]}")
            raise EncoderFailed(f"ffmpeg exited with {finished.returncode}", finished.stderr[-5:])

    async def _verify(self, output: Path, source: MediaInfo) -> None:
        """The output plays inline: H.264 yuv420p (+ AAC), moov first, as long as the source,
        and every frame decodes."""
        got = await probe(output, self.encoder)
        problems = []
        if got.video_codec != "h264" or got.pix_fmt != "yuv420p":
            problems.append(f"video is {got.video_codec}/{got.pix_fmt}")
        if source.has_audio and got.audio_codec != "aac":
            problems.append(f"audio is {got.audio_codec}")
        if abs(got.duration - source.duration) > DURATION_TOLERANCE_SECONDS:
            problems.append(f"lasts {got.duration:.2f} s instead of {source.duration:.2f} s")
        if not await asyncio.to_thread(faststart, output):
            problems.append("its moov box is not in front")
        if not problems and not await decodes(output, self.encoder, niceness=self.niceness):
            problems.append("it does not decode cleanly")
        if problems:
            raise EncoderFailed(f"the output did not verify: {'; '.join(problems)}")

    def _cores_free(self) -> int:
        """Cores for one more encoder: shared among those running, so concurrent encoders do
        not oversubscribe the machine (a lone one gets every core)."""
        return max(1, self.cpus // (self.encoding + 1))

    def _watch(self, process: asyncio.subprocess.Process, running: bool) -> None:
        if running:
            self._processes.add(process)
            self.peak_encoding = max(self.peak_encoding, len(self._processes))
        else:
            self._processes.discard(process)
        self._changed()

    async def _wait_until(self, predicate: Callable[[], bool]) -> None:
        if predicate():
            return
        future = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._watchers.append(entry)
        try:
            await future
        finally:
            self._watchers.remove(entry)

    def _changed(self) -> None:
        """Wake whoever waits for the state that now holds."""
        for predicate, future in self._watchers:
            if not future.done() and predicate():
                future.set_result(None)

    # -- the line for the encoder ------------------------------------------------------------

    async def _acquire(self, on_wait: Callable[[int], None] | None) -> None:
        if self._free > 0 and not self._line:
            self._free -= 1
            return
        waiter = _Waiter(asyncio.get_running_loop().create_future(), on_wait)
        self._line.append(waiter)
        if on_wait is not None:
            on_wait(len(self._line) - 1)
        try:
            await waiter.future
        except BaseException:
            if waiter in self._line:
                self._line.remove(waiter)
                self._tell_positions()
            elif not waiter.future.cancelled() and waiter.future.exception() is None:
                self._release()  # the slot was handed over as we were cancelled
            raise

    def _release(self) -> None:
        while self._line:
            waiter = self._line.popleft()
            if not waiter.future.done():
                waiter.future.set_result(None)
                self._tell_positions()
                return
        self._free += 1

    def _tell_positions(self) -> None:
        for ahead, waiter in enumerate(self._line):
            if waiter.on_wait is not None:
                waiter.on_wait(ahead)

    def _check_open(self) -> None:
        if self._closed:
            raise TranscodeError("the transcoder is closed (the bot is shutting down)")

    async def close(self) -> None:
        """Refuse new jobs, fail those in line, kill running encoders and wait until their
        jobs have removed their files."""
        self._closed = True
        while self._line:
            waiter = self._line.popleft()
            if not waiter.future.done():
                waiter.future.set_exception(TranscodeError("the transcoder was closed"))
        for process in list(self._processes):
            kill_group(process)
        await self._wait_until(lambda: self._active == 0)


def _copyable_audio(info: MediaInfo) -> int | None:
    """The source's audio bitrate if it can go out as it is: AAC stereo, like every output."""
    if info.audio_codec == "aac" and info.audio_channels == 2:
        return info.audio_kbps
    return None
