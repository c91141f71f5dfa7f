"""Users, throttling, server-side sessions and user management against real databases."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from lib.core.roles import PermissionDenied, Refused, system_actor
from lib.data import accounts, audit
from lib.data.db import transaction
from lib.data.models import AuditEvent, LoginAttempt
from lib.editing import actions, user_admin
from lib.ops.programme import load_reference

T0 = datetime(2026, 11, 29, 8, 0)
PASSWORD = "mat-khau-du-dai"
ADMIN = system_actor("test")


@pytest.fixture
def users(engine):
    with transaction(engine, write=True) as s:
        load_reference(s)
        for name, role, loc in (
            ("dp.lucngan", "dieu_phoi", "luc-ngan"),
            ("lanhdao", "lanh_dao", None),
            ("quantri", "admin", None),
        ):
            user_admin.create_user(
                s,
                ADMIN,
                username=name,
                display_name=name,
                role=role,
                locality_code=loc,
                password=PASSWORD,
                now=T0,
            )
    return engine


def _login(engine, username, password, at, client="local", device_token=None):
    with transaction(engine, write=True) as s:
        return accounts.authenticate(s, username, password, at, client=client, device_token=device_token)


def _actor(engine, username):
    with transaction(engine) as s:
        from lib.data.models import User

        return accounts.actor_for(s.scalar(select(User).where(User.username == username)))


def _known_browser(engine, username, at=T0):
    """Sign in as the app does and fetch the cookies: the device cookie of a browser the user knows."""
    result = _login(engine, username, PASSWORD, at, client="10.9.9.9")
    with transaction(engine, write=True) as s:
        accounts.start_session(s, result.user_id, at, timedelta(hours=10), f"key-{username}")
        code = accounts.issue_cookie_code(s, f"key-{username}", at)
        cookies = accounts.deliver_cookies(s, code, None, at, "k" * 40)
    assert cookies is not None and cookies.device_token
    return cookies.device_token


def test_a_client_that_keeps_failing_is_stopped_before_the_account_is(users):
    for second in range(5):
        failed = _login(users, "dp.lucngan", "sai-mat-khau", T0 + timedelta(seconds=second), "10.0.0.1")
        assert failed.outcome == "failure"
    stopped = _login(users, "DP.LucNgan ", PASSWORD, T0 + timedelta(minutes=1), "10.0.0.1")
    assert (stopped.outcome, stopped.lock) == ("refused", "client")
    assert stopped.locked_until == T0 + timedelta(seconds=4, minutes=15)
    # The same client cannot try another name either; the owner, anywhere else, signs in.
    assert _login(users, "lanhdao", PASSWORD, T0 + timedelta(minutes=2), "10.0.0.1").lock == "client"
    assert _login(users, "dp.lucngan", PASSWORD, T0 + timedelta(minutes=2), "10.0.0.2").outcome == "success"
    # Refused attempts do not extend the lock, which ends on time.
    later = T0 + timedelta(minutes=15, seconds=5)
    assert _login(users, "dp.lucngan", PASSWORD, later, "10.0.0.1").outcome == "success"
    with transaction(users) as s:
        outcomes = dict(
            s.execute(select(LoginAttempt.outcome, func.count()).group_by(LoginAttempt.outcome)).all()
        )
    assert outcomes == {"failure": 5, "refused": 2, "success": 2}


def test_guessing_from_many_clients_locks_the_name_for_unknown_browsers_only(users):
    device = _known_browser(users, "quantri")
    for n in range(10):  # two guesses each from five addresses: no client is stopped
        at = T0 + timedelta(minutes=1, seconds=n)
        assert _login(users, "quantri", "sai", at, f"10.1.0.{n // 2}").outcome == "failure"
    stranger = _login(users, "quantri", PASSWORD, T0 + timedelta(minutes=2), "10.2.0.1")
    assert (stranger.outcome, stranger.lock) == ("refused", "account")
    assert stranger.locked_until == T0 + timedelta(minutes=16, seconds=9)
    owner = _login(users, "quantri", PASSWORD, T0 + timedelta(minutes=2), "10.2.0.2", device)
    assert owner.outcome == "success"  # on the browser the owner signed in on before
    # A device cookie counts for its own user only.
    assert (
        _login(users, "lanhdao", PASSWORD, T0 + timedelta(minutes=3), "10.2.0.3", device).outcome == "success"
    )


def test_a_known_browser_that_keeps_failing_is_locked_itself(users):
    device = _known_browser(users, "dp.lucngan")
    for n in range(5):
        at = T0 + timedelta(minutes=1, seconds=n)
        assert _login(users, "dp.lucngan", "sai", at, f"10.3.0.{n}", device).outcome == "failure"
    refused = _login(users, "dp.lucngan", PASSWORD, T0 + timedelta(minutes=2), "10.3.0.9", device)
    assert (refused.outcome, refused.lock) == ("refused", "device")
    # Its failures were not the name's: from another browser the owner gets in.
    assert _login(users, "dp.lucngan", PASSWORD, T0 + timedelta(minutes=2), "10.3.0.8").outcome == "success"


def test_failures_spread_out_never_lock_and_unknown_names_are_throttled_alike(users):
    for i in range(12):  # one failure every 4 minutes: never five in fifteen minutes
        assert _login(users, "lanhdao", "sai-mat-khau", T0 + timedelta(minutes=4 * i)).outcome == "failure"
    assert _login(users, "lanhdao", PASSWORD, T0 + timedelta(minutes=49)).outcome == "success"
    for i in range(5):
        _login(users, "khong-ton-tai", "x" * 12, T0 + timedelta(hours=2, seconds=i), "10.4.0.1")
    refused = _login(users, "khong-ton-tai", "x" * 12, T0 + timedelta(hours=2, minutes=1), "10.4.0.1")
    assert refused.outcome == "refused"


def test_an_attacker_cannot_lock_an_account_for_good(users):
    at = T0
    for round_no in range(3):  # keep guessing from new addresses as soon as each lock ends
        for n in range(10):
            _login(users, "dp.lucngan", "sai", at, f"10.5.{round_no}.{n}")
            at += timedelta(seconds=10)
        at += timedelta(minutes=15)
    assert _login(users, "dp.lucngan", PASSWORD, at, "10.6.0.1").outcome == "success"


def test_the_admin_sees_the_locks_and_lifts_one(users):
    for n in range(5):
        _login(users, "lanhdao", "sai", T0 + timedelta(seconds=n), "10.7.0.1")
    admin, reader = _actor(users, "quantri"), _actor(users, "lanhdao")
    at = T0 + timedelta(minutes=1)
    with transaction(users) as s:
        locks = accounts.list_locks(s, admin, at)
    assert [(lock.kind, lock.subject) for lock in locks] == [("client", "10.7.0.1")]
    with pytest.raises(PermissionDenied):
        actions.perform(users, reader, user_admin.clear_lock, "client", "10.7.0.1", at)
    actions.perform(users, admin, user_admin.clear_lock, "client", "10.7.0.1", at)
    assert _login(users, "lanhdao", PASSWORD, at + timedelta(seconds=1), "10.7.0.1").outcome == "success"
    with transaction(users) as s:
        assert accounts.list_locks(s, admin, at) == []
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "clear_lock")).one()
    assert (event.actor, event.entity, event.field) == ("quantri", "login_lock", "client")
    with pytest.raises(Refused, match="Khóa này không còn hiệu lực"):
        actions.perform(users, admin, user_admin.clear_lock, "client", "10.7.0.1", at)


def test_disabled_users_cannot_sign_in(users):
    actions.perform(users, _actor(users, "quantri"), user_admin.set_user_active, "lanhdao", False, T0)
    assert _login(users, "lanhdao", PASSWORD, T0 + timedelta(minutes=1)).outcome == "failure"
    with transaction(users) as s:
        assert "lanhdao" not in accounts.load_credentials(s)["usernames"]


def _session_with_token(engine, username, token):
    result = _login(engine, username, PASSWORD, T0)
    with transaction(engine, write=True) as s:
        key = accounts.start_session(s, result.user_id, T0, timedelta(hours=10), f"key-{token}")
        accounts.attach_token(s, key, token)
    return key


def _token_works(engine, token, at=T0 + timedelta(minutes=30)):
    with transaction(engine) as s:
        return accounts.session_for_token(s, token, at) is not None


@pytest.mark.parametrize("how", ["logout", "own_password", "reset", "disable"])
def test_every_earlier_cookie_stops_working(users, how):
    sid = _session_with_token(users, "dp.lucngan", "cookie-A")
    _session_with_token(users, "dp.lucngan", "cookie-B")  # a second browser
    assert _token_works(users, "cookie-A") and _token_works(users, "cookie-B")
    me, admin = _actor(users, "dp.lucngan"), _actor(users, "quantri")
    at = T0 + timedelta(minutes=10)
    if how == "logout":
        with transaction(users, write=True) as s:
            accounts.end_session(s, sid, at)
        assert not _token_works(users, "cookie-A") and _token_works(users, "cookie-B")
        return
    if how == "own_password":
        actions.perform(users, me, user_admin.change_own_password, PASSWORD, "mat-khau-moi-dai", at)
    elif how == "reset":
        actions.perform(users, admin, user_admin.reset_password, "dp.lucngan", "mat-khau-moi-dai", at)
    else:
        actions.perform(users, admin, user_admin.set_user_active, "dp.lucngan", False, at)
    assert not _token_works(users, "cookie-A") and not _token_works(users, "cookie-B")
    with transaction(users) as s:
        check = accounts.check_session(s, sid, at)
    assert check.actor is None and check.reason


def test_cookies_expire_with_their_session(users):
    _session_with_token(users, "lanhdao", "cookie-C")
    assert _token_works(users, "cookie-C", T0 + timedelta(hours=9, minutes=59))
    assert not _token_works(users, "cookie-C", T0 + timedelta(hours=10))
    assert not _token_works(users, "a-forged-cookie")


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (
            user_admin.create_user,
            dict(
                username="moi.nguoi",
                display_name="X",
                role="admin",
                locality_code=None,
                password=PASSWORD,
                now=T0,
            ),
        ),
        (user_admin.set_user_active, dict(username="lanhdao", active=False, now=T0)),
        (user_admin.reset_password, dict(username="lanhdao", new_password="mat-khau-moi-dai", now=T0)),
        (user_admin.change_role, dict(username="dp.lucngan", role="admin", locality_code=None, now=T0)),
    ],
)
def test_user_management_is_for_administrators_only_and_refusals_are_recorded(users, call, args):
    coordinator = _actor(users, "dp.lucngan")
    with pytest.raises(PermissionDenied, match="Chỉ quản trị hệ thống"):
        actions.perform(users, coordinator, call, **args)
    with transaction(users) as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (last.actor, last.action, last.entity) == ("dp.lucngan", "refused", "user")
        assert "Chỉ quản trị hệ thống" in last.reason
        assert accounts.actor_for  # the refused change left nothing behind:
        assert "moi.nguoi" not in accounts.load_credentials(s)["usernames"]
        assert "lanhdao" in accounts.load_credentials(s)["usernames"]


def test_every_user_action_is_audited_and_the_chain_holds(users):
    admin = _actor(users, "quantri")
    actions.perform(
        users,
        admin,
        user_admin.create_user,
        username="xem.1",
        display_name="Người xem",
        role="xem",
        locality_code=None,
        password=PASSWORD,
        now=T0,
    )
    actions.perform(users, admin, user_admin.change_role, "xem.1", "dieu_phoi", "viet-yen", T0)
    actions.perform(users, admin, user_admin.reset_password, "xem.1", "mat-khau-khac-1", T0)
    actions.perform(users, admin, user_admin.set_user_active, "xem.1", False, T0)
    actions.perform(users, admin, user_admin.set_user_active, "xem.1", True, T0)
    with transaction(users) as s:
        trail = [
            (e.actor, e.action, e.field, e.new_value)
            for e in s.scalars(
                select(AuditEvent).where(AuditEvent.actor == "quantri").order_by(AuditEvent.id)
            )
        ]
        assert audit.verify_chain(s).ok
        assert not any("$2b$" in (e.new_value or "") for e in s.scalars(select(AuditEvent)))
    assert trail == [
        ("quantri", "create", "role", "xem/"),
        ("quantri", "change_role", "role", "dieu_phoi/viet-yen"),
        ("quantri", "set_scope", "scope", "Thị xã Việt Yên"),
        ("quantri", "reset_password", "password", "(đã đặt lại)"),
        ("quantri", "disable", "active", "False"),
        ("quantri", "enable", "active", "True"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (dict(username="Có Dấu", role="xem", locality_code=None), "Tên đăng nhập gồm"),
        (dict(username="dp.moi", role="dieu_phoi", locality_code=None), "phải được giao ít nhất một"),
        (dict(username="dp.moi", role="dieu_phoi", locality_code="ha-noi"), "Không có địa phương"),
        (dict(username="vp.moi", role="van_phong", locality_code="luc-ngan"), "Chỉ cán bộ đầu mối"),
        (dict(username="lanhdao", role="xem", locality_code=None), "đã tồn tại"),
        (dict(username="sieu.nguoi", role="superuser", locality_code=None), "Vai trò"),
    ],
)
def test_bad_user_data_is_refused_with_a_clear_message(users, args, message):
    with pytest.raises(Refused, match=message):
        actions.perform(
            users,
            _actor(users, "quantri"),
            user_admin.create_user,
            display_name="A",
            password=PASSWORD,
            now=T0,
            **args,
        )


def test_an_admin_cannot_lock_themselves_out(users):
    admin = _actor(users, "quantri")
    with pytest.raises(Refused, match="chính mình"):
        actions.perform(users, admin, user_admin.set_user_active, "quantri", False, T0)
    with pytest.raises(Refused, match="chính mình"):
        actions.perform(users, admin, user_admin.change_role, "quantri", "xem", None, T0)


def test_a_save_goes_through_while_a_password_is_being_checked(users, monkeypatch):
    """bcrypt runs outside any transaction: on SQLite a sign-in used to hold the only write lock
    through it, so every other sign-in and save queued (and under load hit the busy timeout)."""
    import threading

    from lib.core import security
    from lib.data.db import bump_data_version

    checking, release = threading.Event(), threading.Event()
    real_verify = security.verify_password

    def slow_verify(password, password_hash):
        checking.set()
        assert release.wait(10), "the save never finished"
        return real_verify(password, password_hash)

    monkeypatch.setattr(security, "verify_password", slow_verify)
    outcome = {}
    signing_in = threading.Thread(
        target=lambda: outcome.update(
            result=actions.sign_in_with_password(users, "lanhdao", PASSWORD, T0, timedelta(hours=1), "k" * 20)
        )
    )
    signing_in.start()
    assert checking.wait(10)
    with transaction(users.execution_options(), write=True) as s:  # would wait 10 s if locked
        bump_data_version(s)
    release.set()
    signing_in.join()
    assert outcome["result"].outcome == "success"
    with transaction(users) as s:
        assert (
            s.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.outcome == "success"))
            == 1
        )


def test_a_cookie_code_is_exchanged_once_while_fresh_for_a_live_session(users):
    result = _login(users, "lanhdao", PASSWORD, T0)
    key = "key-code"
    with transaction(users, write=True) as s:
        accounts.start_session(s, result.user_id, T0, timedelta(hours=10), key)
        stale = accounts.issue_cookie_code(s, key, T0)
        assert accounts.deliver_cookies(s, stale, None, T0 + timedelta(minutes=3), "k" * 40) is None
        code = accounts.issue_cookie_code(s, key, T0 + timedelta(minutes=3))
        assert code != stale
        cookies = accounts.deliver_cookies(s, code, None, T0 + timedelta(minutes=4), "k" * 40)
        assert accounts.deliver_cookies(s, code, None, T0 + timedelta(minutes=4), "k" * 40) is None  # once
        assert accounts.issue_cookie_code(s, key, T0 + timedelta(minutes=5)) is None  # it has its cookie
    assert cookies is not None and cookies.session_expires_at == T0 + timedelta(hours=10)
    assert _token_works(users, cookies.session_token)
    # The browser keeps the device cookie it holds for this user; a new session gets no new one.
    with transaction(users, write=True) as s:
        accounts.start_session(s, result.user_id, T0, timedelta(hours=10), "key-two")
        code = accounts.issue_cookie_code(s, "key-two", T0 + timedelta(minutes=6))
        again = accounts.deliver_cookies(s, code, cookies.device_token, T0 + timedelta(minutes=6), "k" * 40)
    assert again is not None and again.device_token is None


def test_no_cookie_code_for_a_signed_out_session(users):
    result = _login(users, "lanhdao", PASSWORD, T0)
    with transaction(users, write=True) as s:
        accounts.start_session(s, result.user_id, T0, timedelta(hours=10), "key-out")
        code = accounts.issue_cookie_code(s, "key-out", T0)
        accounts.end_session(s, "key-out", T0 + timedelta(seconds=5))
        assert accounts.deliver_cookies(s, code, None, T0 + timedelta(seconds=6), "k" * 40) is None
        assert accounts.issue_cookie_code(s, "key-out", T0 + timedelta(seconds=7)) is None


def test_a_lifted_lock_does_not_come_back_on_the_next_typo(users):
    for n in range(5):
        _login(users, "lanhdao", "sai", T0 + timedelta(seconds=n), "10.8.0.1")
    admin = _actor(users, "quantri")
    actions.perform(users, admin, user_admin.clear_lock, "client", "10.8.0.1", T0 + timedelta(minutes=1))
    assert _login(users, "lanhdao", "sai-mot-lan", T0 + timedelta(minutes=2), "10.8.0.1").outcome == "failure"
    assert _login(users, "lanhdao", PASSWORD, T0 + timedelta(minutes=3), "10.8.0.1").outcome == "success"


def test_two_failures_locking_at_once_never_collide(users):
    """On PostgreSQL, simultaneous failures once crashed the sign-in on the lock's primary key."""
    until = T0 + timedelta(minutes=15)
    with transaction(users, write=True) as s:
        accounts._set_lock(s, "client", "10.9.0.1", until)
        accounts._set_lock(s, "client", "10.9.0.1", until + timedelta(seconds=1))
    with transaction(users) as s:
        assert [(x.kind, x.locked_until) for x in accounts.list_locks(s, _actor(users, "quantri"), T0)] == [
            ("client", until + timedelta(seconds=1))
        ]


def test_a_password_reset_forgets_the_users_known_browsers(users):
    device = _known_browser(users, "dp.lucngan")
    admin = _actor(users, "quantri")
    actions.perform(
        users, admin, user_admin.reset_password, "dp.lucngan", "mat-khau-moi-dai", T0 + timedelta(hours=1)
    )
    with transaction(users) as s:
        again = accounts.find_login(s, "dp.lucngan", T0 + timedelta(hours=2), device_token=device)
    assert again.device_id is None
