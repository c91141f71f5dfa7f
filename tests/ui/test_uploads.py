"""Which browser sessions may send files: admitted editors only, a few files a minute each."""

from lib.ui.uploads import ADMISSION_SECONDS, MAX_UPLOADS, PER_SECONDS, UploadGate


def test_a_session_never_admitted_is_refused():
    status, reason = UploadGate().refusal("sans-compte", now=0.0)
    assert status == 403 and reason.startswith("Chỉ người dùng đã đăng nhập")


def test_an_admitted_session_sends_a_few_files_a_minute():
    gate = UploadGate()
    gate.admit("dp", now=0.0)
    assert [gate.refusal("dp", now=float(i)) for i in range(MAX_UPLOADS)] == [None] * MAX_UPLOADS
    assert gate.refusal("dp", now=30.0) == (429, "Gửi quá 10 tệp trong 60 giây; hãy thử lại sau.")
    assert gate.refusal("dp", now=PER_SECONDS + 1.5) is None  # the oldest ones have left the window


def test_revoked_and_lapsed_admissions_are_refused():
    gate = UploadGate()
    gate.admit("a", now=0.0)
    gate.admit("b", now=0.0)
    gate.revoke("a")
    assert gate.refusal("a", now=1.0)[0] == 403
    assert gate.refusal("b", now=ADMISSION_SECONDS + 1)[0] == 403  # no run renewed it
    gate.admit("c", now=ADMISSION_SECONDS + 2)  # admitting prunes what lapsed
    assert set(gate._admitted) == {"c"}
