"""The shipping files: Dockerfile, .dockerignore, docker-compose.yml and .env.example.

CI has no Docker daemon, so the Dockerfile is parsed and its essentials checked (slim
multi-stage build, the postgres extra installed, non-root user, /data volume, health check,
entry point, no secrets) and the compose file is read with plain text checks (PyYAML is not a
dependency). Where `docker info` answers, the image is also built and run.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import tomllib
from dataclasses import dataclass

import pytest

from bot.cli import _parser
from bot.settings import EnvSettings
from tests.conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
SLIM = "python:3.11-slim"


@dataclass(frozen=True)
class Instruction:
    stage: int  # -1 for ARGs before the first FROM
    keyword: str
    args: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with line continuations joined and comments dropped, as Docker reads them."""
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and current):
            continue  # comment lines vanish, even inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        if current.strip():
            logical.append(" ".join(current.split()))
        current = ""
    instructions, stage = [], -1
    for line in logical:
        keyword, _, args = line.partition(" ")
        if keyword.upper() == "FROM":
            stage += 1
        instructions.append(Instruction(stage, keyword.upper(), args))
    return instructions


def env_pairs(args: str) -> dict[str, str]:
    """`ENV A=1 B=2` (or the old `ENV A 1`) as a dict."""
    if "=" not in args.split()[0]:
        name, _, value = args.partition(" ")
        return {name: value}
    return dict(pair.split("=", 1) for pair in args.split())


@pytest.fixture(scope="module")
def dockerfile() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE.read_text())


def final(dockerfile: list[Instruction]) -> list[Instruction]:
    last = max(i.stage for i in dockerfile)
    return [i for i in dockerfile if i.stage == last]


def one(instructions: list[Instruction], keyword: str) -> str:
    found = [i.args for i in instructions if i.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {found}"
    return found[0]


def test_the_parser_reads_what_docker_reads() -> None:
    parsed = parse_dockerfile(
        "ARG IMG=x\nFROM ${IMG} AS b\n# note\nRUN a \\\n  # inside\n  && b\nFROM x\nUSER u\n"
    )
    assert parsed == [
        Instruction(-1, "ARG", "IMG=x"),
        Instruction(0, "FROM", "${IMG} AS b"),
        Instruction(0, "RUN", "a && b"),
        Instruction(1, "FROM", "x"),
        Instruction(1, "USER", "u"),
    ]


def test_a_slim_multi_stage_build_copies_only_the_venv(dockerfile: list[Instruction]) -> None:
    args = {
        name: value
        for i in dockerfile
        if i.keyword == "ARG" and i.stage == -1
        for name, value in [i.args.split("=", 1)]
    }
    froms = [i.args.split() for i in dockerfile if i.keyword == "FROM"]
    images = [re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], f[0]) for f in froms]

    assert len(froms) >= 2
    assert set(images) == {SLIM}
    assert [f[1:] for f in froms[:-1]] == [["AS", "builder"]]
    copies = [i.args for i in final(dockerfile) if i.keyword == "COPY"]
    assert "--from=builder /opt/venv /opt/venv" in copies
    assert not [i for i in final(dockerfile) if i.keyword == "RUN" and "pip" in i.args]
    builder = [i.args for i in dockerfile if i.stage == 0 and i.keyword == "RUN"]
    assert any("pip wheel" in run for run in builder)


def test_the_venv_holds_the_postgres_extra_so_database_url_works(
    dockerfile: list[Instruction],
) -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    builder = " ".join(i.args for i in dockerfile if i.stage == 0 and i.keyword == "RUN")
    install = re.search(r'pip --python /opt/venv/bin/python install ("[^"]*")', builder)

    assert any(requirement.startswith("asyncpg") for requirement in extras["postgres"])
    assert install is not None
    assert install.group(1) == '"$(ls /wheels/atlas_video_bot-*.whl)[postgres]"'
    assert builder.index(install.group(0)) < builder.index(
        '/opt/venv/bin/python -c "import asyncpg"'
    )


def test_the_bot_runs_as_a_user_it_creates_not_root(dockerfile: list[Instruction]) -> None:
    stage = final(dockerfile)
    user = [i.args for i in stage if i.keyword == "USER"][-1]
    runs = " ".join(i.args for i in stage if i.keyword == "RUN")

    assert user not in ("root", "0")
    assert not user.startswith(("root:", "0:"))
    assert f"useradd --system --uid 10001 --gid {user}" in runs
    assert f"chown -R {user}:{user} /data" in runs  # the volume starts writable for it
    assert stage.index(next(i for i in stage if i.keyword == "USER")) > max(
        n for n, i in enumerate(stage) if i.keyword in ("RUN", "COPY")
    )


def test_the_image_carries_a_working_encoder_and_its_folder(
    dockerfile: list[Instruction],
) -> None:
    """Videos over Discord's upload limit are compressed with imageio-ffmpeg's ffmpeg (a
    dependency, so the wheel brings it), proven at build time; in /data/transcode, made
    owner-only and the bot user's before the volume is declared."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    builder = " ".join(i.args for i in dockerfile if i.stage == 0 and i.keyword == "RUN")
    stage = final(dockerfile)
    user = [i.args for i in stage if i.keyword == "USER"][-1]
    runs = " ".join(i.args for i in stage if i.keyword == "RUN")

    assert any(requirement.startswith("imageio-ffmpeg") for requirement in dependencies)
    # find_encoder runs ffmpeg -version and -encoders: a build without libx264 fails here.
    check = "from bot.transcode import find_encoder"
    assert check in builder
    assert builder.index("install") < builder.index(check)
    assert "mkdir -p /data/transcode" in runs
    assert f"chown -R {user}:{user} /data" in runs
    assert "chmod 700 /data /data/transcode" in runs
    assert "/data" in json.loads(one(stage, "VOLUME"))


def test_state_lives_on_the_data_volume_and_config_in_app(dockerfile: list[Instruction]) -> None:
    stage = final(dockerfile)
    env = {k: v for i in stage if i.keyword == "ENV" for k, v in env_pairs(i.args).items()}

    assert "/data" in json.loads(one(stage, "VOLUME"))
    assert env["DATABASE_PATH"] == "/data/bot.sqlite3"
    assert env["HEALTH_FILE"] == "/data/health.json"
    assert env["BOT_CONFIG"] == "/app/config/bot.toml"
    assert (ROOT / "config" / "bot.toml").is_file()
    assert "config/ /app/config/" in [i.args for i in stage if i.keyword == "COPY"]
    assert env["PATH"].startswith("/opt/venv/bin:")


def test_entrypoint_and_health_check_call_the_real_cli(dockerfile: list[Instruction]) -> None:
    stage = final(dockerfile)
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    subcommands = {
        name
        for action in _parser()._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    }

    assert json.loads(one(stage, "ENTRYPOINT")) == ["atlas-video-bot"]
    assert json.loads(one(stage, "CMD")) == ["run"]
    assert scripts["atlas-video-bot"] == "bot.cli:main"
    health = one(stage, "HEALTHCHECK")
    options, _, command = health.partition(" CMD ")
    assert json.loads(command) == ["atlas-video-bot", "health"]
    for option in ("--interval=", "--timeout=", "--start-period=", "--retries="):
        assert option in options
    assert {"run", "health", "check", "simulate"} <= subcommands


def test_no_secret_is_baked_into_the_image(dockerfile: list[Instruction]) -> None:
    for instruction in dockerfile:
        if instruction.keyword == "ENV":
            names = list(env_pairs(instruction.args))
        elif instruction.keyword == "ARG":
            names = [instruction.args.split("=", 1)[0]]
        else:
            continue
        for name in names:
            assert "TOKEN" not in name.upper(), instruction
            assert "KEY" not in name.upper(), instruction
    copied = " ".join(i.args for i in dockerfile if i.keyword in ("COPY", "ADD"))
    assert ".env" not in copied
    assert "ADD" not in {i.keyword for i in dockerfile}


def _docker_glob(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as Docker reads it: `*` stays within a folder, `**/` spans any."""
    regex = ""
    rest = pattern
    while rest:
        if rest.startswith("**/"):
            regex, rest = regex + "(.*/)?", rest[3:]
        elif rest.startswith("**"):
            regex, rest = regex + ".*", rest[2:]
        elif rest[0] == "*":
            regex, rest = regex + "[^/]*", rest[1:]
        elif rest[0] == "?":
            regex, rest = regex + "[^/]", rest[1:]
        else:
            regex, rest = regex + re.escape(rest[0]), rest[1:]
    return re.compile(regex)


def dockerignore_excludes(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents wins."""
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = _docker_glob(pattern.removeprefix("!").rstrip("/"))
        if any(glob.fullmatch(candidate) for candidate in candidates):
            excluded = not negated
    return excluded


def test_the_build_context_holds_the_code_and_never_secrets_or_state() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sent = ["pyproject.toml", "README.md", "bot/app.py", "config/bot.toml"]
    sent.append("bot/sim/assets/sample.mp4")  # package data the simulator serves
    kept_out = [".env", "bot/.env", ".git/config", ".venv/bin/python", "data/bot.sqlite3"]
    kept_out += ["bot/__pycache__/app.cpython-311.pyc", "tests/test_money.py", "x.sqlite3-wal"]

    assert [p for p in sent if dockerignore_excludes(p, patterns)] == []
    assert [p for p in kept_out if not dockerignore_excludes(p, patterns)] == []
    for source in ("pyproject.toml", "README.md", "bot", "config"):
        assert (ROOT / source).exists()


def service_blocks(text: str) -> dict[str, str]:
    """The text of each service under `services:` (two-space indented keys)."""
    body = re.split(r"^\S", text.split("\nservices:\n", 1)[1], maxsplit=1, flags=re.M)[0]
    chunks = re.split(r"^  (?=[\w-]+:$)", body, flags=re.M)
    return {c.split(":", 1)[0]: c for c in chunks if c.strip()}


@pytest.fixture(scope="module")
def compose() -> str:
    return COMPOSE.read_text()


def test_compose_runs_the_live_bot_with_its_env_and_volume(compose: str) -> None:
    bot = service_blocks(compose)["bot"]

    assert "<<: *image" in bot
    assert "  build: .\n" in compose
    assert "env_file: .env" in bot
    assert "- bot-data:/data" in bot
    assert "restart: unless-stopped" in bot
    assert 'profiles: ["live"]' in bot
    assert "\n  bot-data:\n" in compose.split("\nvolumes:", 1)[1]


def test_compose_dry_run_profile_points_a_bot_at_the_simulator(compose: str) -> None:
    services = service_blocks(compose)
    sim, dry = services["atlas-sim"], services["bot-dry-run"]

    assert 'profiles: ["dry-run"]' in sim
    assert 'profiles: ["dry-run"]' in dry
    assert 'command: ["simulate", "--host", "0.0.0.0", "--port", "8080"]' in sim
    assert "ATLAS_BASE_URL: http://atlas-sim:8080/api/v1" in dry
    sim_key = re.search(r"ATLASCLOUD_API_KEY: (\S+)", sim)
    dry_key = re.search(r"ATLASCLOUD_API_KEY: (\S+)", dry)
    assert sim_key is not None
    assert dry_key is not None
    assert sim_key.group(1) == dry_key.group(1)  # the simulator accepts the dry-run bot's key
    assert "atlas-sim:\n        condition: service_healthy" in dry
    assert "- dry-run-data:/data" in dry  # never the live ledger
    assert "ports:" not in sim  # reachable on the compose network only


def test_compose_can_never_start_the_live_bot_in_a_dry_run(compose: str) -> None:
    # Compose starts every service without a profile whatever --profile says.
    for name, block in service_blocks(compose).items():
        assert "profiles:" in block, f"{name} would start in every profile"
    assert "DISCORD_TOKEN:" not in compose
    assert "DISCORD_TOKEN=" not in compose


def test_env_example_lists_every_setting_with_empty_secrets() -> None:
    text = (ROOT / ".env.example").read_text()
    assigned = dict(
        re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=(.*)$", text, flags=re.M),
    )

    for field in EnvSettings.model_fields:
        assert field.upper() in assigned, f"{field.upper()} is missing from .env.example"
    assert {"LOG_FORMAT", "HEALTH_FILE"} <= set(assigned)
    assert assigned["DISCORD_TOKEN"] == ""
    assert assigned["ATLASCLOUD_API_KEY"] == ""
    assert re.search(r"^DISCORD_TOKEN=$", text, flags=re.M)  # uncommented: to fill in


def _docker_daemon() -> str | None:
    """Why the image cannot be built here, or None when a daemon answers."""
    if shutil.which("docker") is None:
        return "docker is not installed"
    try:
        info = subprocess.run(
            ["docker", "info"],  # noqa: S607 - the docker on PATH, as a user would run it
            capture_output=True,
            timeout=15,
            check=False,
            text=True,
        )
    except subprocess.TimeoutExpired:
        return "docker info timed out"
    if info.returncode != 0:
        return "no Docker daemon answers `docker info`"
    return None


@pytest.mark.timeout(1200)
def test_the_image_builds_and_runs_as_non_root() -> None:
    reason = _docker_daemon()
    if reason is not None:
        pytest.skip(f"{reason}: the Dockerfile was checked by parsing only")
    tag = "atlas-video-bot:test"

    def docker(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - fixed arguments, no input from outside
            ["docker", *args],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=1100,
            check=False,
        )

    build = docker("build", "--tag", tag, str(ROOT))
    assert build.returncode == 0, build.stderr[-3000:]
    version = docker("run", "--rm", tag, "--version")
    uid = docker("run", "--rm", "--entrypoint", "id", tag, "-u")
    health = docker("run", "--rm", tag, "health")
    secrets_in_env = docker("run", "--rm", "--entrypoint", "env", tag)
    asyncpg = docker("run", "--rm", "--entrypoint", "python", tag, "-c", "import asyncpg")

    assert version.stdout.strip() == "atlas-video-bot 0.1.0"
    assert uid.stdout.strip() == "10001"
    assert health.returncode == 1  # no bot running: unhealthy, not "reserved" 2
    assert "no heartbeat file /data/health.json" in health.stdout
    assert "DISCORD_TOKEN" not in secrets_in_env.stdout
    assert "ATLASCLOUD_API_KEY" not in secrets_in_env.stdout
    assert asyncpg.returncode == 0, asyncpg.stderr  # DATABASE_URL=postgresql://... works
