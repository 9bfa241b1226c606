"""A stored job's state and what its member is shown map onto each other in one table."""

from __future__ import annotations

from bot.jobs.progress import STATUS_OF, JobStatus
from bot.jobs.record import JobState


def test_every_stored_state_has_what_members_see() -> None:
    assert set(STATUS_OF) == set(JobState)


def test_the_states_before_atlas_show_as_cancellable_and_none_after() -> None:
    before = {s for s in JobState if s.never_submitted}
    assert before == {JobState.QUOTED, JobState.HELD, JobState.UPLOADING}
    assert all(STATUS_OF[s] in (JobStatus.QUEUED, JobStatus.UPLOADING) for s in before)
    terminal = {s for s in JobState if s.is_terminal}
    assert all(STATUS_OF[s].is_final for s in terminal | {JobState.UNCERTAIN})
