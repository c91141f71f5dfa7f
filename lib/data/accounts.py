"""Users, sign-in checks, server-side sessions and user management, all in the shared database.

The re-login cookie of streamlit-authenticator is a signed token the library cannot revoke, so a
cookie is honoured only while its session row here is live: logging out, a password change or
reset, and disabling the user revoke the rows, and every server process sees that at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, object_session

from lib.core import config, security
from lib.core.roles import DIEU_PHOI, Actor, require_admin
from lib.core.scopes import NO_SCOPE
from lib.data.models import AuthSession, Locality, LoginAttempt, LoginLock, TrustedDevice, User
from lib.data.scopes import read_scope

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,49}$")


@dataclass(frozen=True)
class LoginResult:
    outcome: str  # "success", "failure" or "refused"
    user_id: int | None = None
    locked_until: datetime | None = None
    lock: str = ""  # when refused: what is locked, "client", "account" or "device"


def normalise_username(username: str) -> str:
    return username.strip().lower()[:100]


def actor_for(user: User) -> Actor:
    """Build the acting user from a user row (read in a session): a focal point with the scope of
    their `user_scope` rows as they are now, so a change of scope counts from the next run."""
    s = object_session(user)
    scope = read_scope(s, user.id) if s is not None and user.role == DIEU_PHOI else NO_SCOPE
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        locality_id=user.locality_id,
        locality_code=user.locality.code if user.locality else None,
        scope=scope,
    )


def load_credentials(s: Session) -> dict[str, Any]:
    """Return active users in the library's credentials format, with bcrypt hashes."""
    users = s.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
    return {
        "usernames": {
            u.username: {"name": u.display_name, "password": u.password_hash, "roles": [u.role]}
            for u in users
        }
    }


LOCAL_CLIENT = "local"


@dataclass(frozen=True)
class LoginCandidate:
    """Who a sign-in names, and from where, read before the (slow) password check."""

    name: str
    user_id: int | None  # None: unknown or disabled
    password_hash: str | None
    client: str = LOCAL_CLIENT  # the client's address; "local" when it connects directly
    device_id: int | None = None  # this browser is one the user signed in on before (device cookie)


def find_login(
    s: Session,
    username: str,
    now: datetime,
    *,
    client: str = LOCAL_CLIENT,
    device_token: str | None = None,
) -> LoginCandidate:
    """Read the account a sign-in names and whether this browser is one of its known browsers."""
    name = normalise_username(username)
    user = s.scalar(select(User).where(User.username == name))
    device = _known_device(s, device_token, name, now)
    device_id = device.id if device is not None else None
    client = (client or LOCAL_CLIENT)[:64]
    if user is None or not user.active:
        return LoginCandidate(name, None, None, client, device_id)
    return LoginCandidate(name, user.id, user.password_hash, client, device_id)


def check_password(candidate: LoginCandidate, password: str) -> bool:
    """bcrypt, with the same work whether the user exists, is disabled or is locked out."""
    return security.verify_password(password, candidate.password_hash)


def _subjects(candidate: LoginCandidate) -> list[tuple[str, str]]:
    """The locks that may hold an attempt back: its known browser's own, or its client's and its name's."""
    if candidate.device_id is not None:
        return [("device", str(candidate.device_id))]
    return [("client", candidate.client), ("account", candidate.name)]


def lock_on(s: Session, candidate: LoginCandidate, now: datetime) -> LoginLock | None:
    """Return the lock that refuses this attempt now, if any (the client's before the name's)."""
    locks = {
        (lock.kind, lock.subject): lock
        for lock in s.scalars(
            select(LoginLock).where(
                tuple_(LoginLock.kind, LoginLock.subject).in_(_subjects(candidate)),
                LoginLock.locked_until > now,
            )
        )
    }
    return next((locks[k] for k in _subjects(candidate) if k in locks), None)


def authenticate(s: Session, username: str, password: str, now: datetime, **where: Any) -> LoginResult:
    """Check a password with the throttles; record the attempt either way (`where`: client, device_token)."""
    candidate = find_login(s, username, now, **where)
    return record_login(s, candidate, check_password(candidate, password), now)


_LIMITS = {
    "client": security.CLIENT_MAX_FAILURES,
    "account": security.ACCOUNT_MAX_FAILURES,
    "device": security.DEVICE_MAX_FAILURES,
}


def record_login(s: Session, candidate: LoginCandidate, password_ok: bool, now: datetime) -> LoginResult:
    """Apply the throttles and record the attempt, in the caller's short write transaction.

    The password was checked before, outside any write lock; it counts only if the account is
    still active with the same password hash now.
    """
    name = candidate.name
    current = s.scalar(select(User.password_hash).where(User.id == candidate.user_id, User.active.is_(True)))
    ok = password_ok and candidate.user_id is not None and current == candidate.password_hash

    def attempt(outcome: str) -> None:
        s.add(
            LoginAttempt(
                username=name, at=now, outcome=outcome, client=candidate.client, device_id=candidate.device_id
            )
        )

    lock = lock_on(s, candidate, now)
    if lock is not None:
        attempt("refused")
        return LoginResult("refused", locked_until=lock.locked_until, lock=lock.kind)
    if ok:
        attempt("success")
        return LoginResult("success", user_id=candidate.user_id)
    attempt("failure")
    s.flush()
    for kind, subject in _subjects(candidate):
        _count_failure(s, kind, subject, candidate, now)
    return LoginResult("failure")


def _count_failure(s: Session, kind: str, subject: str, candidate: LoginCandidate, now: datetime) -> None:
    """Lock a subject whose recent failures reached its limit (none before its last lock ended count)."""
    old = s.get(LoginLock, (kind, subject))
    since = max(now - security.FAILURE_WINDOW, old.locked_until if old is not None else datetime.min)
    failures = select(LoginAttempt.at).where(LoginAttempt.outcome == "failure", LoginAttempt.at >= since)
    if kind == "device":
        failures = failures.where(LoginAttempt.device_id == candidate.device_id)
    elif kind == "client":  # a known browser's typos count for that browser alone
        failures = failures.where(LoginAttempt.client == subject, LoginAttempt.device_id.is_(None))
    else:  # the name, from browsers it has never signed in on
        failures = failures.where(LoginAttempt.username == subject, LoginAttempt.device_id.is_(None))
    until = security.lock_until(s.scalars(failures).all(), now, _LIMITS[kind])
    if until is not None:
        _set_lock(s, kind, subject, until)


def _set_lock(s: Session, kind: str, subject: str, until: datetime) -> None:
    """Insert or move a lock in one statement: two sign-ins failing at once never collide."""
    dialect = s.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    s.execute(
        insert(LoginLock)
        .values(kind=kind, subject=subject, locked_until=until)
        .on_conflict_do_update(index_elements=["kind", "subject"], set_={"locked_until": until})
    )


def start_session(s: Session, user_id: int, now: datetime, lifetime: timedelta, key: str) -> str:
    """Open a server-side session, known to the browser by `key`, for a user who proved their password."""
    s.add(AuthSession(browser_key=key, user_id=user_id, created_at=now, expires_at=now + lifetime))
    s.flush()
    return key


def attach_token(s: Session, key: str, token: str) -> None:
    """Remember the digest of the re-login cookie issued for a session."""
    s.execute(
        update(AuthSession)
        .where(AuthSession.browser_key == key)
        .values(token_hash=security.token_digest(token))
    )


def issue_cookie_code(s: Session, key: str, now: datetime) -> str | None:
    """Give a live session a fresh one-time code to exchange for its cookie; None if not live."""
    code = security.new_token()
    result = s.execute(
        update(AuthSession)
        .where(
            AuthSession.browser_key == key,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
            AuthSession.token_hash.is_(None),
        )
        .values(
            cookie_code_hash=security.token_digest(code),
            cookie_code_expires_at=now + security.COOKIE_CODE_LIFETIME,
        )
    )
    return code if result.rowcount == 1 else None  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Cookies:
    """What /auth/cookie sets in the browser: the re-login cookie, and its device cookie if new."""

    session_token: str
    session_expires_at: datetime
    device_token: str | None
    device_expires_at: datetime


def _code_holder(code: str, now: datetime) -> Any:
    return (
        AuthSession.cookie_code_hash == security.token_digest(code),
        AuthSession.cookie_code_expires_at > now,
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > now,
        AuthSession.token_hash.is_(None),
    )


def has_cookie_code(s: Session, code: str, now: datetime) -> bool:
    """Tell whether a one-time code is live (a read: a bad code never takes the write lock)."""
    return s.scalar(select(AuthSession.id).where(*_code_holder(code, now))) is not None


def _known_device(s: Session, token: str | None, username: str, now: datetime) -> TrustedDevice | None:
    """The live device row a browser's device cookie names for a user (expired after 180 days unused)."""
    if not token:
        return None
    return s.scalar(
        select(TrustedDevice).where(
            TrustedDevice.token_hash == security.token_digest(token),
            TrustedDevice.username == username,
            TrustedDevice.revoked_at.is_(None),
            TrustedDevice.last_used_at > now - security.DEVICE_COOKIE_LIFETIME,
        )
    )


def deliver_cookies(
    s: Session, code: str, device_token: str | None, now: datetime, cookie_key: str
) -> Cookies | None:
    """Exchange a session's one-time code for its re-login cookie, once; None for any bad code.

    The exchange is one conditional UPDATE, so two requests with the same code cannot both get a
    cookie. The browser becomes a known browser of the user: a device cookie it already holds for
    them is kept (and its use noted), otherwise a new one is issued.
    """
    found = s.execute(
        select(AuthSession, User).join(User, User.id == AuthSession.user_id).where(*_code_holder(code, now))
    ).first()
    if found is None or not found[1].active:
        return None
    session_row, user = found
    token = security.session_token(cookie_key, config.epoch(session_row.expires_at))
    taken = s.execute(
        update(AuthSession)
        .where(AuthSession.id == session_row.id, *_code_holder(code, now))
        .values(token_hash=security.token_digest(token), cookie_code_hash=None, cookie_code_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None  # another request used the code first
    device = _known_device(s, device_token, user.username, now)
    new_device = None
    if device is None:
        new_device = security.new_token()
        device = TrustedDevice(
            token_hash=security.token_digest(new_device), username=user.username, created_at=now
        )
        s.add(device)
    device.last_used_at = now
    return Cookies(token, session_row.expires_at, new_device, now + security.DEVICE_COOKIE_LIFETIME)


def revoke_devices(s: Session, username: str, now: datetime) -> None:
    """Forget every known browser of a user (password reset, disabled): none lets past a lock any more."""
    s.execute(
        update(TrustedDevice)
        .where(TrustedDevice.username == username, TrustedDevice.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def _live(s: Session, condition: Any, now: datetime) -> tuple[AuthSession, User] | None:
    row = s.execute(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(condition, AuthSession.revoked_at.is_(None), AuthSession.expires_at > now)
    ).first()
    return (row[0], row[1]) if row is not None else None


def session_for_token(s: Session, token: str, now: datetime) -> tuple[str, Actor] | None:
    """Find the live session a re-login cookie belongs to (None when revoked, expired or unknown)."""
    found = _live(s, AuthSession.token_hash == security.token_digest(token), now)
    if found is None or not found[1].active or found[0].browser_key is None:
        return None
    return found[0].browser_key, actor_for(found[1])


@dataclass(frozen=True)
class SessionCheck:
    actor: Actor | None
    reason: str = ""
    has_token: bool = False


# Built once: constructing a statement costs several times more than running it (check_session
# runs on every rerun of every signed-in browser).
_SESSION_CHECK = (
    select(
        AuthSession.revoked_at,
        AuthSession.expires_at,
        AuthSession.token_hash,
        User.id,
        User.username,
        User.display_name,
        User.role,
        User.active,
        User.locality_id,
        Locality.code,
    )
    .select_from(AuthSession)
    .outerjoin(User, User.id == AuthSession.user_id)
    .outerjoin(Locality, Locality.id == User.locality_id)
    .where(AuthSession.browser_key == bindparam("key"))
)


def check_session(s: Session, key: str, now: datetime) -> SessionCheck:
    """Re-check a signed-in session on every interaction: user still active, session not revoked.

    Runs on every rerun of every signed-in browser, so it reads plain columns in one joined query
    (session, user, home district) and, for a focal point, their scope (`read_scope`) as it is now:
    a revocation, a disabled user or a changed scope counts from the very next run."""
    row = s.connection().execute(_SESSION_CHECK, {"key": key}).first()
    if row is None:
        return SessionCheck(
            None,
            "Phiên đăng nhập không còn hiệu lực (tài khoản có thể đã bị xóa). Vui lòng đăng nhập lại.",
        )
    revoked_at, expires_at, token_hash, user_id, username, display_name, role, active, locality_id, code = row
    if user_id is None:
        return SessionCheck(None, "Tài khoản không còn tồn tại. Phiên làm việc đã kết thúc.")
    if not active:
        return SessionCheck(None, "Tài khoản đã bị vô hiệu hóa. Phiên làm việc đã kết thúc.")
    if revoked_at is not None:
        return SessionCheck(None, "Phiên đăng nhập đã bị thu hồi. Vui lòng đăng nhập lại.")
    if expires_at <= now:
        return SessionCheck(None, "Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.")
    actor = Actor(
        user_id=user_id,
        username=username,
        display_name=display_name,
        role=role,
        locality_id=locality_id,
        locality_code=code,
        scope=read_scope(s, user_id) if role == DIEU_PHOI else NO_SCOPE,
    )
    return SessionCheck(actor, has_token=token_hash is not None)


def end_session(s: Session, key: str, now: datetime, reason: str = "logout") -> None:
    """Revoke one session (sign-out)."""
    s.execute(
        update(AuthSession)
        .where(AuthSession.browser_key == key, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


def revoke_user_sessions(s: Session, user_id: int, now: datetime, reason: str) -> int:
    """Revoke every live session of a user; return how many."""
    result = s.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- user management -------------------------------------------------------------------------


@dataclass(frozen=True)
class UserRow:
    username: str
    display_name: str
    role: str
    locality_code: str | None
    active: bool
    password_changed_at: datetime
    last_login: datetime | None


def list_users(s: Session, actor: Actor) -> list[UserRow]:
    """List every user with their last successful sign-in (administrators only)."""
    require_admin(actor, "xem danh sách người dùng")
    last = (
        select(LoginAttempt.username, func.max(LoginAttempt.at).label("at"))
        .where(LoginAttempt.outcome == "success")
        .group_by(LoginAttempt.username)
        .subquery()
    )
    rows = s.execute(
        select(User, Locality.code, last.c.at)
        .outerjoin(Locality, Locality.id == User.locality_id)
        .outerjoin(last, last.c.username == User.username)
        .order_by(User.username)
    )
    return [
        UserRow(u.username, u.display_name, u.role, code, u.active, u.password_changed_at, at)
        for u, code, at in rows
    ]


@dataclass(frozen=True)
class LockRow:
    kind: str
    subject: str
    label: str  # what is held back, in words
    locked_until: datetime


def list_locks(s: Session, actor: Actor, now: datetime) -> list[LockRow]:
    """List the sign-in locks in force (administrators only)."""
    require_admin(actor, "xem các khóa đăng nhập")
    rows = []
    locks = s.scalars(select(LoginLock).where(LoginLock.locked_until > now).order_by(LoginLock.locked_until))
    for lock in locks:
        label = lock.subject
        if lock.kind == "device" and lock.subject.isdigit():
            device = s.get(TrustedDevice, int(lock.subject))
            if device is not None:
                label = f"trình duyệt của {device.username}, dùng từ {device.created_at:%d/%m/%Y}"
        rows.append(LockRow(lock.kind, lock.subject, label, lock.locked_until))
    return rows


def recent_failed_logins(s: Session, actor: Actor, limit: int = 50) -> list[LoginAttempt]:
    """List the latest failed and refused sign-ins (administrators only)."""
    require_admin(actor, "xem nhật ký đăng nhập")
    return list(
        s.scalars(
            select(LoginAttempt)
            .where(LoginAttempt.outcome != "success")
            .order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc())
            .limit(limit)
        )
    )


def last_meeting(s: Session, user_id: int) -> date | None:
    """The date of the user's last meeting, if they set one."""
    return s.scalar(select(User.last_meeting_on).where(User.id == user_id))
