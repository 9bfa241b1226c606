"""Per-server settings (what an admin set with `/settings`) and where finished videos go.

Knows nothing of Discord, Atlas or money; the job service reads these before a job starts.
"""
