"""Safety: a server's prompt rules, the regex sandbox they run in, moderation strikes, and
flagged videos kept for a moderator.

Knows nothing of Discord, Atlas, money or a job's life: `bot.jobs.moderation` applies these to
jobs, and the Discord layer posts the notices.
"""
