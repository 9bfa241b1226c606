"""The database schema, as forward-only migrations.

`PRAGMA user_version` says how many migrations a file has seen; `MIGRATIONS[i]` takes a file
from version `i` to `i + 1`. Never edit a migration that has shipped: append a new one.

Times are integer microseconds since the Unix epoch (UTC); money is integer micro-dollars.
Money rows (`entries`, `grants`) and the audit trail (`admin_log`) are append-only, enforced by
triggers; since v9 the one change they allow is a member's id replaced by a pseudonym (a
negative id) when an admin erases that member, every figure unchanged.
A hold's figures never change either: it is only pinned, then settled, once each,
and settling it is the insertion of its one entry (a trigger marks the hold).
"""

from __future__ import annotations

APPLICATION_ID = 0x41564231
"""`PRAGMA application_id` of our files ("AVB1"), to tell them from other SQLite files."""

TERMINAL_JOB_STATES = ("delivered", "failed", "rejected", "cancelled", "expired")
"""Job states that never change again (kept here so the partial index matches the queries)."""

_TERMINAL_SQL = ", ".join(f"'{state}'" for state in TERMINAL_JOB_STATES)

UNFINISHED_JOBS_WHERE = f"state NOT IN ({_TERMINAL_SQL})"
"""The WHERE clause of the `jobs_unfinished` partial index: queries must repeat it verbatim."""


def _append_only(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END",
    ]


_V1: list[str] = [
    # The persisted job table (bot/jobs/store.py); `params` is the model's JSON options.
    """CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL,
        guild_id INTEGER NOT NULL,
        channel_id INTEGER NOT NULL,
        message_id INTEGER,
        model TEXT NOT NULL,
        params TEXT NOT NULL CHECK (json_valid(params)),
        state TEXT NOT NULL,
        prediction_id TEXT,
        quote INTEGER NOT NULL CHECK (quote >= 0),
        actual_price INTEGER CHECK (actual_price >= 0),
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        submitted_at INTEGER
    )""",
    f"CREATE INDEX jobs_unfinished ON jobs (created_at) WHERE {UNFINISHED_JOBS_WHERE}",
    "CREATE INDEX jobs_member ON jobs (guild_id, user_id, created_at)",
    "CREATE INDEX jobs_prediction ON jobs (prediction_id) WHERE prediction_id IS NOT NULL",
    # Pending transfers. `created_at` decides the budget period the money counts in.
    # Few indexes on purpose: every one is written by every reserve and capture.
    """CREATE TABLE holds (
        job_id TEXT PRIMARY KEY,
        guild_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        amount INTEGER NOT NULL CHECK (amount >= 0),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        pinned_at INTEGER,
        settled TEXT CHECK (settled IN ('captured', 'released')),
        settled_at INTEGER
    ) WITHOUT ROWID""",
    # Open holds are few (the concurrency limits bound them): expiry scans this index whole.
    "CREATE INDEX holds_open ON holds (guild_id, user_id) WHERE settled IS NULL",
    # Member sums and history; guild sums, reports and exports scan its guild prefix.
    "CREATE INDEX holds_member ON holds (guild_id, user_id, created_at)",
    """CREATE TRIGGER holds_figures_fixed BEFORE UPDATE ON holds
        WHEN NEW.job_id IS NOT OLD.job_id OR NEW.guild_id IS NOT OLD.guild_id
          OR NEW.user_id IS NOT OLD.user_id OR NEW.amount IS NOT OLD.amount
          OR NEW.created_at IS NOT OLD.created_at OR NEW.expires_at IS NOT OLD.expires_at
          OR (OLD.pinned_at IS NOT NULL AND NEW.pinned_at IS NOT OLD.pinned_at)
          OR (OLD.settled IS NOT NULL AND NEW.settled IS NOT OLD.settled)
          OR (OLD.settled_at IS NOT NULL AND NEW.settled_at IS NOT OLD.settled_at)
        BEGIN SELECT RAISE(ABORT, 'a hold is only pinned and settled, once each'); END""",
    "CREATE TRIGGER holds_no_delete BEFORE DELETE ON holds "
    "BEGIN SELECT RAISE(ABORT, 'holds are never deleted'); END",
    # Posted or voided transfers: one per job at most (the key), never changed.
    # `amount` is what was spent (0 for a release), `quoted` the amount that was held.
    """CREATE TABLE entries (
        job_id TEXT PRIMARY KEY REFERENCES holds (job_id),
        guild_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('capture', 'release')),
        amount INTEGER NOT NULL CHECK (amount >= 0 AND (kind = 'capture' OR amount = 0)),
        quoted INTEGER NOT NULL CHECK (quoted >= 0),
        reason TEXT,
        period_at INTEGER NOT NULL,
        at INTEGER NOT NULL
    ) WITHOUT ROWID""",
    # No index beyond the key: sums go through `holds_member` (period_at = the hold's
    # created_at) and look entries up by job id.
    """CREATE TRIGGER entries_settle_hold AFTER INSERT ON entries BEGIN
        UPDATE holds SET
            settled = CASE NEW.kind WHEN 'capture' THEN 'captured' ELSE 'released' END,
            settled_at = NEW.at
        WHERE job_id = NEW.job_id;
    END""",
    *_append_only("entries"),
    # One-off credit for one member in the period it was granted.
    """CREATE TABLE grants (
        id INTEGER PRIMARY KEY,
        guild_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0),
        reason TEXT NOT NULL,
        granted_by INTEGER NOT NULL,
        at INTEGER NOT NULL
    )""",
    "CREATE INDEX grants_member ON grants (guild_id, user_id, at)",
    *_append_only("grants"),
    # Limits in force (absent = the configured default). subject_id: user or role, 0 otherwise.
    """CREATE TABLE limits (
        guild_id INTEGER NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN
            ('user', 'role', 'guild', 'user_concurrency', 'guild_concurrency')),
        subject_id INTEGER NOT NULL,
        amount INTEGER NOT NULL CHECK (amount >= 0),
        set_by INTEGER NOT NULL,
        set_at INTEGER NOT NULL,
        PRIMARY KEY (guild_id, scope, subject_id)
    ) WITHOUT ROWID""",
    # Who changed what, when: every admin action, including grants and resets to default.
    """CREATE TABLE admin_log (
        id INTEGER PRIMARY KEY,
        guild_id INTEGER NOT NULL,
        actor_id INTEGER NOT NULL,
        action TEXT NOT NULL,
        subject_id INTEGER NOT NULL,
        amount INTEGER,
        reason TEXT,
        at INTEGER NOT NULL
    )""",
    "CREATE INDEX admin_log_guild ON admin_log (guild_id, at)",
    *_append_only("admin_log"),
    # A cache of per-period sums, so `reserve` does not add up a busy member's history.
    # user_id 0 is the whole guild; `period_id` names the period rule and the period.
    # Which period rule the rows of `totals` follow: a writer with another rule (the config
    # changed) empties the cache first, so no row of an old rule is ever read stale.
    """CREATE TABLE ledger_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE totals (
        period_id TEXT NOT NULL,
        guild_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        spent INTEGER NOT NULL,
        held INTEGER NOT NULL,
        PRIMARY KEY (period_id, guild_id, user_id)
    ) WITHOUT ROWID""",
]

_V2: list[str] = [
    # Learned generation times (bot/jobs/eta.py): a weighted mean and variance, in seconds,
    # of submit -> completion per (model, resolution, duration); they only steer polling.
    """CREATE TABLE eta_stats (
        model TEXT NOT NULL,
        resolution TEXT NOT NULL,
        duration INTEGER NOT NULL,
        count INTEGER NOT NULL CHECK (count > 0),
        mean REAL NOT NULL CHECK (mean > 0),
        var REAL NOT NULL CHECK (var >= 0),
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (model, resolution, duration)
    ) WITHOUT ROWID""",
]

_V3: list[str] = [
    # Per-server settings (bot/guilds/settings.py): one JSON object of the values an admin
    # set with /settings; a key left out means "use the config file's value".
    """CREATE TABLE guild_settings (
        guild_id INTEGER PRIMARY KEY,
        settings TEXT NOT NULL CHECK (json_valid(settings) AND json_type(settings) = 'object'),
        updated_at INTEGER NOT NULL,
        updated_by INTEGER NOT NULL
    ) WITHOUT ROWID""",
]

_V4: list[str] = [
    # Atlas's content moderation and a server's answer to it (bot/safety/strikes.py), one
    # append-only log per member: each rejected job, and each pause and its lifting. A member
    # is paused when the latest of their 'paused'/'unpaused' rows is a pause; rejections count
    # towards a pause within a day, and only those after the last lifting.
    """CREATE TABLE moderation_events (
        id INTEGER PRIMARY KEY,
        guild_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('rejected', 'paused', 'unpaused')),
        job_id TEXT,
        actor_id INTEGER,
        at INTEGER NOT NULL
    )""",
    "CREATE INDEX moderation_member ON moderation_events (guild_id, user_id, at)",
    *_append_only("moderation_events"),
]

_V5: list[str] = [
    # Leases (bot/jobs/store.py): which process follows a job, until when. A process takes a
    # job's lease in one conditional UPDATE and renews it while it runs; a lease that expired
    # lets another process take the job over. NULL: not leased (rows from before v5).
    "ALTER TABLE jobs ADD COLUMN owner TEXT",
    "ALTER TABLE jobs ADD COLUMN lease_until INTEGER",
    # Deadlines shared by every process on the database, e.g. Atlas's 429 back-off.
    """CREATE TABLE shared_deadlines (
        key TEXT PRIMARY KEY,
        until_at INTEGER NOT NULL
    ) WITHOUT ROWID""",
]

_V6: list[str] = [
    # A member's own defaults in one server (bot/guilds/preferences.py, /prefer): a JSON object
    # of the values they set, and the JSON list of preferences they were told the server now
    # ignores (each told once until they set it again).
    """CREATE TABLE member_preferences (
        guild_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        preferences TEXT NOT NULL
            CHECK (json_valid(preferences) AND json_type(preferences) = 'object'),
        told TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(told) AND json_type(told) = 'array'),
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (guild_id, user_id)
    ) WITHOUT ROWID""",
]

_V7: list[str] = [
    # Atlas's signed call about one of our jobs (bot/jobs/callbacks.py), kept with the job by
    # whichever process received it: the first call of each job; `prediction` is the
    # prediction's JSON when the call carried a readable one.
    """CREATE TABLE job_callbacks (
        job_id TEXT PRIMARY KEY,
        prediction_id TEXT NOT NULL,
        prediction TEXT CHECK (prediction IS NULL OR json_valid(prediction)),
        received_at INTEGER NOT NULL
    ) WITHOUT ROWID""",
]

_V8: list[str] = [
    # Daily spend (/budget's forecast and chart, bot/ledger/reports.py): captures summed per day
    # for one member or one server, read from these covering indexes alone, so a member's
    # /budget reads their own days and never the whole server's period.
    "CREATE INDEX entries_member_spend ON entries (guild_id, user_id, at, amount)"
    " WHERE kind = 'capture'",
    "CREATE INDEX entries_guild_spend ON entries (guild_id, at, amount) WHERE kind = 'capture'",
]


def _anonymise_only(table: str, column: str, columns: tuple[str, ...]) -> list[str]:
    # Still append-only, but for one change: a member's id replaced by a pseudonym (a
    # negative id, which Discord never gives) when an admin erases the member
    # (bot/ledger/erasure.py). Every other column must stay as it was.
    same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in columns if c != column)
    return [
        f"DROP TRIGGER {table}_no_update",
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"WHEN NOT (OLD.{column} > 0 AND NEW.{column} < 0 AND {same}) "
        f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END",
    ]


_V9: list[str] = [
    # Retention (bot/jobs/privacy.py): when a job's prompt, links and roles were blanked;
    # NULL while they are kept. The sweep finds old jobs not yet blanked through the index.
    "ALTER TABLE jobs ADD COLUMN erased_at INTEGER",
    "CREATE INDEX jobs_details_kept ON jobs (updated_at) WHERE erased_at IS NULL",
    # Erasing a member: their money rows keep every figure, only their id becomes a pseudonym.
    *_anonymise_only(
        "entries",
        "user_id",
        ("job_id", "guild_id", "user_id", "kind", "amount", "quoted", "reason", "period_at", "at"),
    ),
    *_anonymise_only(
        "grants", "user_id", ("id", "guild_id", "user_id", "amount", "reason", "granted_by", "at")
    ),
    *_anonymise_only(
        "admin_log",
        "subject_id",
        ("id", "guild_id", "actor_id", "action", "subject_id", "amount", "reason", "at"),
    ),
    *_anonymise_only(
        "moderation_events",
        "user_id",
        ("id", "guild_id", "user_id", "kind", "job_id", "actor_id", "at"),
    ),
    "DROP TRIGGER holds_figures_fixed",
    """CREATE TRIGGER holds_figures_fixed BEFORE UPDATE ON holds
        WHEN NEW.job_id IS NOT OLD.job_id OR NEW.guild_id IS NOT OLD.guild_id
          OR (NEW.user_id IS NOT OLD.user_id AND NOT (OLD.user_id > 0 AND NEW.user_id < 0))
          OR NEW.amount IS NOT OLD.amount
          OR NEW.created_at IS NOT OLD.created_at OR NEW.expires_at IS NOT OLD.expires_at
          OR (OLD.pinned_at IS NOT NULL AND NEW.pinned_at IS NOT OLD.pinned_at)
          OR (OLD.settled IS NOT NULL AND NEW.settled IS NOT OLD.settled)
          OR (OLD.settled_at IS NOT NULL AND NEW.settled_at IS NOT OLD.settled_at)
        BEGIN SELECT RAISE(ABORT, 'a hold is only pinned and settled, once each'); END""",
]

MIGRATIONS: list[list[str]] = [_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9]
"""`MIGRATIONS[i]`: the statements that take a file from schema version i to i + 1."""
