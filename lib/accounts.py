"""Users, sign-in checks, server-side sessions and user management, all in the shared database.

The re-login cookie of streamlit-authenticator is a signed token the library cannot revoke, so a
cookie is honoured only while its session row here is live: logging out, a password change or
reset, and disabling the user revoke the rows, and every server process sees that at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from lib import audit, config, security
from lib.db import bump_data_version
from lib.models import AuthSession, Locality, LoginAttempt, LoginLock, TrustedDevice, User
from lib.roles import DIEU_PHOI, ROLE_LABELS, Actor, Refused, require_admin
from lib.validation import quote

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,49}$")


@dataclass(frozen=True)
class LoginResult:
    outcome: str  # "success", "failure" or "refused"
    user_id: int | None = None
    locked_until: datetime | None = None
    lock: str = ""  # when refused: what is locked, "client", "account" or "device"


def _normalise(username: str) -> str:
    return username.strip().lower()[:100]


def actor_for(user: User) -> Actor:
    """Build the acting user from a user row."""
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        locality_id=user.locality_id,
        locality_code=user.locality.code if user.locality else None,
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
    name = _normalise(username)
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


def check_session(s: Session, key: str, now: datetime) -> SessionCheck:
    """Re-check a signed-in session on every interaction: user still active, session not revoked."""
    row = s.execute(
        select(AuthSession, User)
        .outerjoin(User, User.id == AuthSession.user_id)
        .where(AuthSession.browser_key == key)
    ).first()
    if row is None:
        return SessionCheck(
            None,
            "Phiên đăng nhập không còn hiệu lực (tài khoản có thể đã bị xóa). Vui lòng đăng nhập lại.",
        )
    if row[1] is None:
        return SessionCheck(None, "Tài khoản không còn tồn tại. Phiên làm việc đã kết thúc.")
    session_row, user = row[0], row[1]
    if not user.active:
        return SessionCheck(None, "Tài khoản đã bị vô hiệu hóa. Phiên làm việc đã kết thúc.")
    if session_row.revoked_at is not None:
        return SessionCheck(None, "Phiên đăng nhập đã bị thu hồi. Vui lòng đăng nhập lại.")
    if session_row.expires_at <= now:
        return SessionCheck(None, "Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.")
    return SessionCheck(actor_for(user), has_token=session_row.token_hash is not None)


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


def _locality_id(s: Session, role: str, locality_code: str | None) -> int | None:
    if role == DIEU_PHOI:
        if not locality_code:
            raise Refused("Điều phối viên phải thuộc một địa phương.", entity="user")
        locality_id = s.scalar(select(Locality.id).where(Locality.code == locality_code))
        if locality_id is None:
            raise Refused(f"Không có địa phương “{quote(locality_code)}”.", entity="user")
        return locality_id
    if locality_code:
        raise Refused("Chỉ điều phối viên mới gắn với một địa phương.", entity="user")
    return None


def _user(s: Session, username: str) -> User:
    user = s.scalar(select(User).where(User.username == _normalise(username)))
    if user is None:
        raise Refused(f"Không có người dùng “{quote(username)}”.", entity="user")
    return user


def _check_password(password: str, username: str) -> None:
    problems = security.password_problems(password, username)
    if problems:
        raise Refused(" ".join(problems), entity="user", field="password")


def _changed(
    s: Session,
    actor: Actor,
    action: str,
    user: User,
    field: str = "",
    old: Any = None,
    new: Any = None,
    now: datetime | None = None,
) -> None:
    audit.record(
        s,
        actor=actor.username,
        action=action,
        entity="user",
        row_id=user.id,
        field=field,
        old=old,
        new=new,
        at=now,
    )


def create_user(
    s: Session,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    role: str,
    locality_code: str | None,
    password: str,
    now: datetime,
) -> User:
    """Create a user (administrators only)."""
    require_admin(actor, "tạo người dùng")
    bump_data_version(s)  # first: the write lock (see lib.db)
    name = _normalise(username)
    if not USERNAME_RE.match(name):
        raise Refused(
            "Tên đăng nhập gồm 3–50 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang, gạch dưới.",
            entity="user",
            field="username",
        )
    if role not in ROLE_LABELS:
        raise Refused(f"Vai trò “{quote(role)}” không hợp lệ.", entity="user", field="role")
    if not display_name.strip() or len(display_name) > 100:
        raise Refused("Họ tên không được trống và tối đa 100 ký tự.", entity="user", field="display_name")
    if s.scalar(select(User.id).where(User.username == name)) is not None:
        raise Refused(f"Tên đăng nhập “{quote(name)}” đã tồn tại.", entity="user", field="username")
    _check_password(password, name)
    user = User(
        username=name,
        display_name=display_name.strip(),
        role=role,
        locality_id=_locality_id(s, role, locality_code),
        password_hash=security.hash_password(password),
        active=True,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    s.add(user)
    s.flush()
    _changed(s, actor, "create", user, "role", None, f"{role}/{locality_code or ''}", now)
    return user


def set_user_active(s: Session, actor: Actor, username: str, active: bool, now: datetime) -> None:
    """Disable or re-enable a user; disabling ends every session of theirs (administrators only)."""
    require_admin(actor, "khóa hoặc mở khóa người dùng")
    bump_data_version(s)  # first: the write lock (see lib.db)
    user = _user(s, username)
    if not active and user.id == actor.user_id:
        raise Refused("Không thể tự vô hiệu hóa tài khoản của chính mình.", entity="user", row_id=user.id)
    if user.active == active:
        return
    user.active, user.updated_at = active, now
    if not active:
        revoke_user_sessions(s, user.id, now, "disabled")
        revoke_devices(s, user.username, now)
    _changed(s, actor, "enable" if active else "disable", user, "active", not active, active, now)


def reset_password(s: Session, actor: Actor, username: str, new_password: str, now: datetime) -> None:
    """Set a new password for a user and end their sessions (administrators only)."""
    require_admin(actor, "đặt lại mật khẩu")
    bump_data_version(s)  # first: the write lock (see lib.db)
    user = _user(s, username)
    _check_password(new_password, user.username)
    user.password_hash = security.hash_password(new_password)
    user.password_changed_at = user.updated_at = now
    revoke_user_sessions(s, user.id, now, "password_reset")
    # The lock ends now, and stays as the point failures are counted from (they caused it).
    s.execute(
        update(LoginLock)
        .where(LoginLock.kind == "account", LoginLock.subject == user.username, LoginLock.locked_until > now)
        .values(locked_until=now)
    )
    revoke_devices(s, user.username, now)
    _changed(s, actor, "reset_password", user, "password", None, "(đã đặt lại)", now)


def change_role(
    s: Session, actor: Actor, username: str, role: str, locality_code: str | None, now: datetime
) -> None:
    """Change a user's role and locality (administrators only)."""
    require_admin(actor, "đổi vai trò người dùng")
    bump_data_version(s)  # first: the write lock (see lib.db)
    user = _user(s, username)
    if role not in ROLE_LABELS:
        raise Refused(f"Vai trò “{quote(role)}” không hợp lệ.", entity="user", field="role")
    if user.id == actor.user_id and role != actor.role:
        raise Refused("Không thể tự đổi vai trò của chính mình.", entity="user", row_id=user.id)
    old = f"{user.role}/{user.locality.code if user.locality else ''}"
    user.locality_id = _locality_id(s, role, locality_code)
    user.role, user.updated_at = role, now
    _changed(s, actor, "change_role", user, "role", old, f"{role}/{locality_code or ''}", now)


def change_own_password(s: Session, actor: Actor, current: str, new_password: str, now: datetime) -> None:
    """Let a signed-in user change their password; every session of theirs ends."""
    if actor.user_id is None:
        raise Refused("Tài khoản dòng lệnh không có mật khẩu.", entity="user")
    bump_data_version(s)  # first: the write lock (see lib.db)
    user = s.get(User, actor.user_id)
    if user is None or not user.active:
        raise Refused("Tài khoản không còn hiệu lực.", entity="user")
    if not security.verify_password(current, user.password_hash):
        raise Refused("Mật khẩu hiện tại không đúng.", entity="user", row_id=user.id, field="password")
    if new_password == current:
        raise Refused("Mật khẩu mới phải khác mật khẩu hiện tại.", entity="user", row_id=user.id)
    _check_password(new_password, user.username)
    user.password_hash = security.hash_password(new_password)
    user.password_changed_at = user.updated_at = now
    revoke_user_sessions(s, user.id, now, "password_changed")
    _changed(s, actor, "change_password", user, "password", None, "(đã đổi)", now)


@dataclass(frozen=True)
class LockRow:
    kind: str
    subject: str
    label: str  # what is held back, in words
    locked_until: datetime


LOCK_LABELS = {
    "account": "Tài khoản (từ trình duyệt lạ)",
    "client": "Máy (địa chỉ)",
    "device": "Trình duyệt quen",
}


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


def clear_lock(s: Session, actor: Actor, kind: str, subject: str, now: datetime) -> None:
    """Lift one sign-in lock (administrators only); audited."""
    require_admin(actor, "mở khóa đăng nhập")
    bump_data_version(s)  # first: the write lock (see lib.db)
    lock = s.get(LoginLock, (kind, subject))
    if lock is None or lock.locked_until <= now:
        raise Refused("Khóa này không còn hiệu lực.", entity="login_lock")
    until = lock.locked_until
    lock.locked_until = now  # kept: failures before it no longer count towards a new lock
    audit.record(
        s,
        actor=actor.username,
        action="clear_lock",
        entity="login_lock",
        field=kind,
        old=f"{subject} đến {until:%H:%M %d/%m/%Y}",
        new=None,
        at=now,
    )


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
