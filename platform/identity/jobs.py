"""rq jobs of identity: forgetting credentials and sign-in failures that no longer matter."""

from __future__ import annotations

from ..tenancy.context import PLATFORM


def purge_expired_identity() -> int:
    """rq cron job: expired codes, refresh tokens and revoked access tokens; sign-in failures past their window."""
    from ..jobs.runtime import job_database
    from .lockout import purge_old_failures
    from .oauth_service import purge_expired

    with job_database().transaction(PLATFORM) as session:
        return purge_expired(session) + purge_old_failures(session)
