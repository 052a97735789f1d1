"""Where a signed-in session stands: which steps after the password are still open.

Decided once at login (``begin``) and kept in the session, so the middleware needs no query
on an ordinary request. A session whose state is missing or belongs to another account is
treated as freshly logged in, so it can only ever end up with more steps, not fewer."""

from django.utils import timezone

from shuzheng.foundation.identity.login import policy

UID = "login.uid"
SECOND_FACTOR = "login.second_factor"  # "pending" | "done" | "not-required"
PASSWORD_EXPIRED = "login.password_expired"
PRIVILEGED = "login.privileged"
LAST_SEEN = "login.last_seen"
KEYS = (UID, SECOND_FACTOR, PASSWORD_EXPIRED, PRIVILEGED, LAST_SEEN)

PENDING, DONE, NOT_REQUIRED = "pending", "done", "not-required"


def now_ts() -> int:
    return int(timezone.now().timestamp())


def begin(session, user) -> None:
    """The password step just succeeded for ``user`` in this session."""
    session[UID] = str(user.pk)
    session[SECOND_FACTOR] = PENDING if policy.needs_second_factor(user) else NOT_REQUIRED
    session[PASSWORD_EXPIRED] = policy.password_expired(user)
    session[PRIVILEGED] = policy.is_privileged(user)
    session[LAST_SEEN] = now_ts()


def ensure(session, user) -> None:
    if session.get(UID) != str(user.pk) or SECOND_FACTOR not in session:
        begin(session, user)


def second_factor_pending(session) -> bool:
    return session.get(SECOND_FACTOR) == PENDING


def password_change_pending(session) -> bool:
    return bool(session.get(PASSWORD_EXPIRED))


def second_factor_done(session) -> None:
    session[SECOND_FACTOR] = DONE


def password_changed(session) -> None:
    session[PASSWORD_EXPIRED] = False


def mark_fully_signed_in(session, user) -> None:
    """For test clients' ``login``/``force_login``: a session that has passed every factor.

    Never called by a request path; tests of the second factor use the real pages."""
    begin(session, user)
    if session[SECOND_FACTOR] == PENDING:
        session[SECOND_FACTOR] = DONE
