"""The PostgreSQL schema: the same forward-only migrations as `schema.MIGRATIONS`, step by step.

`PG_MIGRATIONS[i]` takes a database from version i to i + 1 exactly as `MIGRATIONS[i]` does an
SQLite file: the same tables, columns, keys, checks and append-only rules, in PostgreSQL's
words (BIGINT for SQLite's 64-bit INTEGER, identity columns for INTEGER PRIMARY KEY, PL/pgSQL
triggers). A migration that only one engine has is a bug: tests/ledger/test_engines.py
compares the two schemas column by column. The version lives in `avb_schema`.
"""

from __future__ import annotations

from bot.db.schema import UNFINISHED_JOBS_WHERE

APPLICATION = "atlas-video-bot"
"""`avb_schema.application`: tells our databases from others."""

_BOOTSTRAP = [
    "CREATE TABLE IF NOT EXISTS avb_schema ("
    " application TEXT NOT NULL, version INTEGER NOT NULL, one BOOLEAN PRIMARY KEY"
    " DEFAULT true CHECK (one))",
]


def _append_only(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
        " FOR EACH ROW EXECUTE FUNCTION avb_append_only()",
    ]


_V1: list[str] = [
    """CREATE FUNCTION avb_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    # `seq` gives jobs the insertion order SQLite's rowid gives them.
    """CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        user_id BIGINT NOT NULL,
        guild_id BIGINT NOT NULL,
        channel_id BIGINT NOT NULL,
        message_id BIGINT,
        model TEXT NOT NULL,
        params TEXT NOT NULL CHECK (CAST(params AS jsonb) IS NOT NULL),
        state TEXT NOT NULL,
        prediction_id TEXT,
        quote BIGINT NOT NULL CHECK (quote >= 0),
        actual_price BIGINT CHECK (actual_price >= 0),
        error TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        submitted_at BIGINT,
        seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
    )""",
    f"CREATE INDEX jobs_unfinished ON jobs (created_at) WHERE {UNFINISHED_JOBS_WHERE}",
    "CREATE INDEX jobs_member ON jobs (guild_id, user_id, created_at)",
    "CREATE INDEX jobs_prediction ON jobs (prediction_id) WHERE prediction_id IS NOT NULL",
    """CREATE TABLE holds (
        job_id TEXT PRIMARY KEY,
        guild_id BIGINT NOT NULL,
        user_id BIGINT NOT NULL,
        amount BIGINT NOT NULL CHECK (amount >= 0),
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        pinned_at BIGINT,
        settled TEXT CHECK (settled IN ('captured', 'released')),
        settled_at BIGINT
    )""",
    "CREATE INDEX holds_open ON holds (guild_id, user_id) WHERE settled IS NULL",
    "CREATE INDEX holds_member ON holds (guild_id, user_id, created_at)",
    """CREATE FUNCTION avb_holds_figures_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'holds are never deleted'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.job_id IS DISTINCT FROM OLD.job_id OR NEW.guild_id IS DISTINCT FROM OLD.guild_id
           OR NEW.user_id IS DISTINCT FROM OLD.user_id OR NEW.amount IS DISTINCT FROM OLD.amount
           OR NEW.created_at IS DISTINCT FROM OLD.created_at
           OR NEW.expires_at IS DISTINCT FROM OLD.expires_at
           OR (OLD.pinned_at IS NOT NULL AND NEW.pinned_at IS DISTINCT FROM OLD.pinned_at)
           OR (OLD.settled IS NOT NULL AND NEW.settled IS DISTINCT FROM OLD.settled)
           OR (OLD.settled_at IS NOT NULL AND NEW.settled_at IS DISTINCT FROM OLD.settled_at)
        THEN
            RAISE EXCEPTION 'a hold is only pinned and settled, once each'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER holds_figures_fixed BEFORE UPDATE OR DELETE ON holds"
    " FOR EACH ROW EXECUTE FUNCTION avb_holds_figures_fixed()",
    """CREATE TABLE entries (
        job_id TEXT PRIMARY KEY REFERENCES holds (job_id),
        guild_id BIGINT NOT NULL,
        user_id BIGINT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('capture', 'release')),
        amount BIGINT NOT NULL CHECK (amount >= 0 AND (kind = 'capture' OR amount = 0)),
        quoted BIGINT NOT NULL CHECK (quoted >= 0),
        reason TEXT,
        period_at BIGINT NOT NULL,
        at BIGINT NOT NULL
    )""",
    """CREATE FUNCTION avb_entries_settle_hold() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE holds SET
            settled = CASE NEW.kind WHEN 'capture' THEN 'captured' ELSE 'released' END,
            settled_at = NEW.at
        WHERE job_id = NEW.job_id;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER entries_settle_hold AFTER INSERT ON entries"
    " FOR EACH ROW EXECUTE FUNCTION avb_entries_settle_hold()",
    *_append_only("entries"),
    """CREATE TABLE grants (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        guild_id BIGINT NOT NULL,
        user_id BIGINT NOT NULL,
        amount BIGINT NOT NULL CHECK (amount > 0),
        reason TEXT NOT NULL,
        granted_by BIGINT NOT NULL,
        at BIGINT NOT NULL
    )""",
    "CREATE INDEX grants_member ON grants (guild_id, user_id, at)",
    *_append_only("grants"),
    """CREATE TABLE limits (
        guild_id BIGINT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN
            ('user', 'role', 'guild', 'user_concurrency', 'guild_concurrency')),
        subject_id BIGINT NOT NULL,
        amount BIGINT NOT NULL CHECK (amount >= 0),
        set_by BIGINT NOT NULL,
        set_at BIGINT NOT NULL,
        PRIMARY KEY (guild_id, scope, subject_id)
    )""",
    """CREATE TABLE admin_log (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        guild_id BIGINT NOT NULL,
        actor_id BIGINT NOT NULL,
        action TEXT NOT NULL,
        subject_id BIGINT NOT NULL,
        amount BIGINT,
        reason TEXT,
        at BIGINT NOT NULL
    )""",
    "CREATE INDEX admin_log_guild ON admin_log (guild_id, at)",
    *_append_only("admin_log"),
    """CREATE TABLE ledger_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE totals (
        period_id TEXT NOT NULL,
        guild_id BIGINT NOT NULL,
        user_id BIGINT NOT NULL,
        spent BIGINT NOT NULL,
        held BIGINT NOT NULL,
        PRIMARY KEY (period_id, guild_id, user_id)
    )""",
]

_V2: list[str] = [
    """CREATE TABLE eta_stats (
        model TEXT NOT NULL,
        resolution TEXT NOT NULL,
        duration BIGINT NOT NULL,
        count BIGINT NOT NULL CHECK (count > 0),
        mean DOUBLE PRECISION NOT NULL CHECK (mean > 0),
        var DOUBLE PRECISION NOT NULL CHECK (var >= 0),
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (model, resolution, duration)
    )""",
]

_V3: list[str] = [
    """CREATE TABLE guild_settings (
        guild_id BIGINT PRIMARY KEY,
        settings TEXT NOT NULL CHECK (json_typeof(CAST(settings AS json)) = 'object'),
        updated_at BIGINT NOT NULL,
        updated_by BIGINT NOT NULL
    )""",
]

_V4: list[str] = [
    """CREATE TABLE moderation_events (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        guild_id BIGINT NOT NULL,
        user_id BIGINT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('rejected', 'paused', 'unpaused')),
        job_id TEXT,
        actor_id BIGINT,
        at BIGINT NOT NULL
    )""",
    "CREATE INDEX moderation_member ON moderation_events (guild_id, user_id, at)",
    *_append_only("moderation_events"),
]

_V5: list[str] = [
    "ALTER TABLE jobs ADD COLUMN owner TEXT",
    "ALTER TABLE jobs ADD COLUMN lease_until BIGINT",
    """CREATE TABLE shared_deadlines (
        key TEXT PRIMARY KEY,
        until_at BIGINT NOT NULL
    )""",
]

_V6: list[str] = [
    """CREATE TABLE member_preferences (
        guild_id BIGINT NOT NULL,
        user_id BIGINT NOT NULL,
        preferences TEXT NOT NULL
            CHECK (json_typeof(CAST(preferences AS json)) = 'object'),
        told TEXT NOT NULL DEFAULT '[]' CHECK (json_typeof(CAST(told AS json)) = 'array'),
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (guild_id, user_id)
    )""",
]

_V7: list[str] = [
    """CREATE TABLE job_callbacks (
        job_id TEXT PRIMARY KEY,
        prediction_id TEXT NOT NULL,
        prediction TEXT
            CHECK (prediction IS NULL OR json_typeof(CAST(prediction AS json)) IS NOT NULL),
        received_at BIGINT NOT NULL
    )""",
]

_V8: list[str] = [
    "CREATE INDEX entries_member_spend ON entries (guild_id, user_id, at, amount)"
    " WHERE kind = 'capture'",
    "CREATE INDEX entries_guild_spend ON entries (guild_id, at, amount) WHERE kind = 'capture'",
]

_V9: list[str] = [
    "ALTER TABLE jobs ADD COLUMN erased_at BIGINT",
    "CREATE INDEX jobs_details_kept ON jobs (updated_at) WHERE erased_at IS NULL",
    # Append-only, but for a member's id (column TG_ARGV[0]) replaced by a pseudonym.
    """CREATE FUNCTION avb_anonymise_only() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        v_col text := TG_ARGV[0];
    BEGIN
        IF TG_OP = 'UPDATE'
           AND (to_jsonb(OLD) ->> v_col)::bigint > 0 AND (to_jsonb(NEW) ->> v_col)::bigint < 0
           AND to_jsonb(NEW) - v_col = to_jsonb(OLD) - v_col THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    *(
        statement
        for table, column in (
            ("entries", "user_id"),
            ("grants", "user_id"),
            ("admin_log", "subject_id"),
            ("moderation_events", "user_id"),
        )
        for statement in (
            f"DROP TRIGGER {table}_append_only ON {table}",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION avb_anonymise_only('{column}')",
        )
    ),
    """CREATE OR REPLACE FUNCTION avb_holds_figures_fixed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'holds are never deleted'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.job_id IS DISTINCT FROM OLD.job_id OR NEW.guild_id IS DISTINCT FROM OLD.guild_id
           OR (NEW.user_id IS DISTINCT FROM OLD.user_id
               AND NOT (OLD.user_id > 0 AND NEW.user_id < 0))
           OR NEW.amount IS DISTINCT FROM OLD.amount
           OR NEW.created_at IS DISTINCT FROM OLD.created_at
           OR NEW.expires_at IS DISTINCT FROM OLD.expires_at
           OR (OLD.pinned_at IS NOT NULL AND NEW.pinned_at IS DISTINCT FROM OLD.pinned_at)
           OR (OLD.settled IS NOT NULL AND NEW.settled IS DISTINCT FROM OLD.settled)
           OR (OLD.settled_at IS NOT NULL AND NEW.settled_at IS DISTINCT FROM OLD.settled_at)
        THEN
            RAISE EXCEPTION 'a hold is only pinned and settled, once each'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END $$""",
]

PG_MIGRATIONS: list[list[str]] = [_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9]
"""`PG_MIGRATIONS[i]`: what takes a PostgreSQL database from version i to i + 1."""

BOOTSTRAP = _BOOTSTRAP
"""Creates the version table if it is missing (run before reading the version)."""
