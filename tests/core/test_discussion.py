"""The rules of a discussion: who may write what, the length limit, and the users a comment names."""

from datetime import datetime

from lib.core import discussion as rule

KNOWN = {"vanphong", "lanhdao", "dp.lucngan", "dp.yendung"}


def test_mentions_are_read_from_at_names_and_a_full_stop_is_not_part_of_a_name():
    body = (
        "Đề nghị @dp.lucngan báo cáo trước 15/12, @DP.YenDung phối hợp. "
        "Liên hệ vp@congan.vn hoặc @dp.lucngan."
    )
    assert rule.mentioned(body) == ["dp.lucngan", "dp.yendung"]
    assert rule.mentioned("Không nhắc ai cả.") == []


def test_who_may_write_which_kind():
    assert rule.kinds_for("lanh_dao") == ["comment", "direction"]
    assert rule.kinds_for("van_phong") == ["comment", "direction"]
    assert rule.kinds_for("dieu_phoi") == ["comment"]
    assert rule.kinds_for("xem") == []


def test_a_good_comment_has_no_problems():
    assert rule.check_comment("dieu_phoi", "comment", "Đã gửi hồ sơ, nhờ @vanphong xem giúp.", KNOWN) == []
    assert rule.check_comment("lanh_dao", "direction", "Hoàn thành trước 15/12.", KNOWN) == []


def test_bad_comments_are_told_in_vietnamese():
    assert rule.check_comment("dieu_phoi", "comment", "   \n ", KNOWN) == [
        "Nội dung trao đổi không được để trống."
    ]
    long = "a" * (rule.MAX_CHARS + 1)
    assert rule.check_comment("dieu_phoi", "comment", long, KNOWN) == [
        "Nội dung dài 2.001 ký tự, quá 2.000 ký tự cho phép."
    ]
    assert rule.check_comment("dieu_phoi", "comment", "a" * rule.MAX_CHARS, KNOWN) == []
    unknown = rule.check_comment("van_phong", "comment", "Nhờ @dp.khongco và @ai.do xem.", KNOWN)
    assert unknown == ["Không có người dùng “@dp.khongco”, “@ai.do”: kiểm tra lại tên được nhắc."]
    (direction,) = rule.check_comment("dieu_phoi", "direction", "Chỉ đạo.", KNOWN)
    assert "không được ghi ý kiến chỉ đạo" in direction
    (reader,) = rule.check_comment("xem", "comment", "Xin hỏi.", KNOWN)
    assert reader == "Vai trò “Chỉ xem” chỉ được xem, không được viết trao đổi."


def test_time_reads_day_first():
    assert rule.fmt_when(datetime(2026, 11, 29, 9, 5)) == "29/11/2026 09:05"
