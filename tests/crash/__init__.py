"""Fault injection for crash-safe jobs (issue #5): kill -9 mid-job, fault storms, locked DBs."""
