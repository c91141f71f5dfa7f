"""The audited writes on user accounts: create, enable or disable, reset a password, change a role,
change one's own password, lift a sign-in lock. Each checks the actor and records an audit event in
the caller's transaction; sign-in state itself (sessions, attempts, locks) lives in lib/data/accounts.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from lib.core import security
from lib.core.filters import EARLIEST_AS_OF
from lib.core.formatting import fmt_date
from lib.core.roles import DIEU_PHOI, ROLE_LABELS, Actor, Refused, require_admin
from lib.core.scopes import BODY_KINDS, KIND_LABELS
from lib.core.validation import quote
from lib.data import audit
from lib.data.accounts import USERNAME_RE, normalise_username, revoke_devices, revoke_user_sessions
from lib.data.db import bump_data_version
from lib.data.models import Agency, Locality, LoginLock, Unit, User, UserScope
from lib.data.scopes import body_names, find_body, user_bodies

Body = tuple[str, int]  # ("locality" | "unit" | "agency", id): one body of a focal point's scope
NO_SCOPE_MESSAGE = "Cán bộ đầu mối phải được giao ít nhất một địa phương, đơn vị hoặc cơ quan."


def _locality_id(s: Session, role: str, locality_code: str | None) -> int | None:
    """A focal point's home district (optional: their scope says what they edit)."""
    if locality_code and role != DIEU_PHOI:
        raise Refused("Chỉ cán bộ đầu mối mới gắn với một địa phương.", entity="user")
    if not locality_code:
        return None
    locality_id = s.scalar(select(Locality.id).where(Locality.code == locality_code))
    if locality_id is None:
        raise Refused(f"Không có địa phương “{quote(locality_code)}”.", entity="user")
    return int(locality_id)


_MODELS: dict[str, Any] = {"locality": Locality, "unit": Unit, "agency": Agency}


def _valid_on(row: Any, day: date) -> bool:
    return (row.valid_from is None or row.valid_from <= day) and (row.valid_to is None or row.valid_to >= day)


def _checked_bodies(s: Session, bodies: Sequence[Body], keep: Sequence[Body], today: date) -> list[Body]:
    """The bodies in the order given, once each; each must exist and, unless already held (`keep`),
    be valid today (a body that has ended is not given to anyone any more)."""
    out: list[Body] = []
    for kind, body_id in bodies:
        if kind not in BODY_KINDS:
            raise Refused(f"Loại “{quote(str(kind))}” không hợp lệ.", entity="user", field="scope")
        row = s.get(_MODELS[kind], int(body_id))
        if row is None:
            raise Refused(f"Không có {KIND_LABELS[kind].lower()} mã {body_id}.", entity="user", field="scope")
        ended = row.valid_to is not None and row.valid_to < today
        if (kind, int(body_id)) not in keep and (
            ended or (row.valid_from is not None and row.valid_from > today)
        ):
            raise Refused(
                f"“{row.name}” không còn hiệu lực ngày {today:%d/%m/%Y}: chọn đơn vị kế thừa.",
                entity="user",
                field="scope",
            )
        if (kind, int(body_id)) not in out:
            out.append((kind, int(body_id)))
    return out


def _scope_text(s: Session, bodies: Sequence[Body]) -> str:
    """A scope in words, for the audit trail: "Huyện Lục Ngạn; Sở Tài chính"."""
    names: dict[Body, str] = {}
    for kind in BODY_KINDS:
        found = body_names(s, kind, [i for k, i in bodies if k == kind])
        names |= {(kind, i): n for i, n in found.items()}
    return "; ".join(names.get(b, f"{b[0]} {b[1]}") for b in bodies)


def _write_scope(s: Session, user: User, bodies: Sequence[Body]) -> None:
    s.execute(delete(UserScope).where(UserScope.user_id == user.id))
    for kind, body_id in bodies:
        s.add(UserScope(user_id=user.id, **{f"{kind}_id": body_id}))
    s.flush()


def _user(s: Session, username: str) -> User:
    user = s.scalar(select(User).where(User.username == normalise_username(username)))
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
    scope: Sequence[Body] = (),
    scope_refs: Sequence[tuple[str, str]] = (),
) -> User:
    """Create a user (administrators only). A focal point (dieu_phoi) gets a scope: the bodies
    given, and their home district (`locality_code`) first if given, as before scopes existed.
    `scope_refs`: bodies as the command line names them, ("agency", "stc"), ("unit", "Nếnh")."""
    require_admin(actor, "tạo người dùng")
    bump_data_version(s)  # first: the write lock (see lib.data.db)
    name = normalise_username(username)
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
    home = _locality_id(s, role, locality_code)
    scope = [*scope, *((kind, find_body(s, kind, ref, now.date())) for kind, ref in scope_refs)]
    if role != DIEU_PHOI and scope:
        raise Refused("Chỉ cán bộ đầu mối mới có phạm vi địa phương, đơn vị, cơ quan.", entity="user")
    # the home district is a scope too while it lasts; after it ended (30/06/2025) only the default
    # of the filters, the scope naming today's bodies
    home_scope = home is not None and _valid_on(s.get(Locality, home), now.date())
    bodies = _checked_bodies(s, [*((("locality", home),) if home_scope else ()), *scope], (), now.date())
    if role == DIEU_PHOI and not bodies:
        district = s.get(Locality, home) if home is not None else None
        if district is not None and not home_scope:  # say why the district given is not enough
            raise Refused(
                f"“{district.name}” không còn hiệu lực ngày {now.date():%d/%m/%Y}: "
                f"{NO_SCOPE_MESSAGE[0].lower()}{NO_SCOPE_MESSAGE[1:]}",
                entity="user",
                field="scope",
            )
        raise Refused(NO_SCOPE_MESSAGE, entity="user", field="scope")
    user = User(
        username=name,
        display_name=display_name.strip(),
        role=role,
        locality_id=home,
        password_hash=security.hash_password(password),
        active=True,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    s.add(user)
    s.flush()
    _changed(s, actor, "create", user, "role", None, f"{role}/{locality_code or ''}", now)
    if bodies:
        _write_scope(s, user, bodies)
        _changed(s, actor, "set_scope", user, "scope", None, _scope_text(s, bodies), now)
    return user


def set_user_active(s: Session, actor: Actor, username: str, active: bool, now: datetime) -> None:
    """Disable or re-enable a user; disabling ends every session of theirs (administrators only)."""
    require_admin(actor, "khóa hoặc mở khóa người dùng")
    bump_data_version(s)  # first: the write lock (see lib.data.db)
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
    bump_data_version(s)  # first: the write lock (see lib.data.db)
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
    bump_data_version(s)  # first: the write lock (see lib.data.db)
    user = _user(s, username)
    if role not in ROLE_LABELS:
        raise Refused(f"Vai trò “{quote(role)}” không hợp lệ.", entity="user", field="role")
    if user.id == actor.user_id and role != actor.role:
        raise Refused("Không thể tự đổi vai trò của chính mình.", entity="user", row_id=user.id)
    old = f"{user.role}/{user.locality.code if user.locality else ''}"
    home = _locality_id(s, role, locality_code)
    held = user_bodies(s, user.id)
    if role == DIEU_PHOI and not held and home is None:
        raise Refused(NO_SCOPE_MESSAGE, entity="user", field="scope")
    user.locality_id = home
    user.role, user.updated_at = role, now
    _changed(s, actor, "change_role", user, "role", old, f"{role}/{locality_code or ''}", now)
    if role == DIEU_PHOI and not held and home is not None:  # a new focal point: their district
        _write_scope(s, user, [("locality", home)])
        _changed(s, actor, "set_scope", user, "scope", None, _scope_text(s, [("locality", home)]), now)
    elif role != DIEU_PHOI and held:  # no longer a focal point: no scope
        _write_scope(s, user, [])
        _changed(s, actor, "set_scope", user, "scope", _scope_text(s, held), None, now)


def set_scope(
    s: Session, actor: Actor, username: str, bodies: Sequence[Body], now: datetime, *, reason: str = ""
) -> list[Body]:
    """Give a focal point exactly these bodies (administrators only; audited, old and new in words).
    A body newly given must be valid today; one already held may stay although it has ended."""
    require_admin(actor, "giao phạm vi cho cán bộ đầu mối")
    bump_data_version(s)  # first: the write lock (see lib.data.db)
    user = _user(s, username)
    if user.role != DIEU_PHOI:
        raise Refused(
            f"Chỉ cán bộ đầu mối mới có phạm vi; “{user.username}” là "
            f"“{ROLE_LABELS.get(user.role, user.role)}”.",
            entity="user",
            row_id=user.id,
        )
    held = user_bodies(s, user.id)
    new = _checked_bodies(s, bodies, held, now.date())
    if not new:
        raise Refused(NO_SCOPE_MESSAGE, entity="user", row_id=user.id, field="scope")
    if new == held:
        return held
    old_text = _scope_text(s, held)
    _write_scope(s, user, new)
    user.updated_at = now
    audit.record(
        s,
        actor=actor.username,
        action="set_scope",
        entity="user",
        row_id=user.id,
        field="scope",
        old=old_text or None,
        new=_scope_text(s, new),
        reason=reason,
        at=now,
    )
    return new


def replace_ended(
    s: Session, actor: Actor, username: str, ended: Body, successors: Sequence[Body], now: datetime
) -> list[Body]:
    """Put the successors of an ended body in its place in a focal point's scope (one click on the
    admin page; audited like any change of scope)."""
    require_admin(actor, "giao phạm vi cho cán bộ đầu mối")
    held = user_bodies(s, _user(s, username).id)
    if ended not in held:
        raise Refused("Phạm vi của người dùng đã thay đổi; tải lại trang.", entity="user", field="scope")
    at = held.index(ended)
    bodies = [*held[:at], *successors, *held[at + 1 :]]
    return set_scope(
        s, actor, username, bodies, now, reason=f"Thay đơn vị đã kết thúc “{_scope_text(s, [ended])}”"
    )


def change_own_password(s: Session, actor: Actor, current: str, new_password: str, now: datetime) -> None:
    """Let a signed-in user change their password; every session of theirs ends."""
    if actor.user_id is None:
        raise Refused("Tài khoản dòng lệnh không có mật khẩu.", entity="user")
    bump_data_version(s)  # first: the write lock (see lib.data.db)
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


def set_last_meeting(s: Session, actor: Actor, day: date | None, now: datetime) -> None:
    """Remember the date of the user's last meeting ("what changed since" starts there); None forgets it."""
    if actor.user_id is None:
        raise Refused("Tài khoản dòng lệnh không có ngày họp.", entity="user")
    if day is not None and not (EARLIEST_AS_OF <= day <= now.date()):
        raise Refused(
            f"Ngày họp {fmt_date(day)} phải trong khoảng {fmt_date(EARLIEST_AS_OF)} đến hôm nay "
            f"({fmt_date(now.date())}).",
            entity="user",
            row_id=actor.user_id,
            field="last_meeting_on",
        )
    bump_data_version(s)
    user = s.get(User, actor.user_id)
    if user is None or not user.active:
        raise Refused("Tài khoản không còn hiệu lực.", entity="user")
    old = user.last_meeting_on
    if old == day:
        return
    user.last_meeting_on = day
    _changed(s, actor, "set_last_meeting", user, "last_meeting_on", old, day, now)


def clear_lock(s: Session, actor: Actor, kind: str, subject: str, now: datetime) -> None:
    """Lift one sign-in lock (administrators only); audited."""
    require_admin(actor, "mở khóa đăng nhập")
    bump_data_version(s)  # first: the write lock (see lib.data.db)
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
