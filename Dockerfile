# atlas-video-bot: a small image that runs the bot as a non-root user.
#
#   docker build -t atlas-video-bot .
#   docker run --env-file .env -v atlas-data:/data atlas-video-bot          # the bot
#   docker run --env-file .env -v atlas-data:/data atlas-video-bot check    # prove the set-up
#
# The ledger is SQLite on the /data volume unless DATABASE_URL=postgresql://... is set: the
# image carries the `postgres` extra (asyncpg) for that. Videos over Discord's upload limit are
# compressed with the ffmpeg of the `imageio-ffmpeg` wheel (a static build with libx264 and
# AAC, checked at build time), in /data/transcode: owner-only, writable by the bot user.
#
# Secrets (DISCORD_TOKEN, ATLASCLOUD_API_KEY) come from the environment at run time only:
# none is set here, and .dockerignore keeps .env out of the build context.

ARG PYTHON_IMAGE=python:3.11-slim

# -- builder: the wheel, installed with its dependencies and the postgres extra into a venv ----
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip wheel --no-deps --wheel-dir /wheels . \
    && python -m venv --without-pip /opt/venv \
    && pip --python /opt/venv/bin/python install "$(ls /wheels/atlas_video_bot-*.whl)[postgres]" \
    && /opt/venv/bin/python -c "import asyncpg" \
    && /opt/venv/bin/python -c "import asyncio; from bot.transcode import find_encoder; \
print(asyncio.run(find_encoder()))"

# -- final: the venv, the config, nothing else --------------------------------------------------
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATABASE_PATH=/data/bot.sqlite3 \
    HEALTH_FILE=/data/health.json \
    BOT_CONFIG=/app/config/bot.toml \
    LOG_FORMAT=json
RUN groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid bot --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin bot \
    && mkdir -p /data/transcode \
    && chown -R bot:bot /data \
    && chmod 700 /data /data/transcode
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY config/ /app/config/
USER bot
VOLUME ["/data"]
# The webhook endpoint, only when PUBLIC_WEBHOOK_URL is set (WEBHOOK_PORT).
EXPOSE 8080
# `health` exits 1 when the heartbeat file is missing, older than 90 s or says disconnected,
# or when the SQLite database cannot be opened read-only (on PostgreSQL: the heartbeat only).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["atlas-video-bot", "health"]
ENTRYPOINT ["atlas-video-bot"]
CMD ["run"]
