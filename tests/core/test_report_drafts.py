"""The year-end report's grouping rules: themes matched with and without diacritics, the addressee a text
names (else the body the entry is about), the same text of several tasks merged with its count."""

from __future__ import annotations

import unicodedata

import pytest

from lib.core import report_drafts as rule


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("Kinh phí được giao chậm so với kế hoạch.", "kinh_phi"),
        ("kinh phi duoc giao cham so voi ke hoach", "kinh_phi"),  # typed without marks
        ("KINH PHÍ CHƯA ĐƯỢC GIAO", "kinh_phi"),
        (unicodedata.normalize("NFD", "Quỹ đất chưa đáp ứng 500 m²"), "dat_dai"),  # decomposed marks
        ("Thủ tục chuyển mục đích sử dụng đất kéo dài", "dat_dai"),  # land before paperwork
        ("Đề nghị UBND tỉnh bố trí bổ sung kinh phí xây dựng trụ sở", "kinh_phi"),  # money before buildings
        ("Trụ sở xuống cấp, cần cải tạo", "tru_so"),
        ("Thiếu biên chế cho Công an phường mới", "nhan_luc"),
        ("Đề nghị hỗ trợ trang thiết bị làm việc", "thiet_bi"),
        ("Chưa tổ chức được lớp tập huấn nghiệp vụ", "dao_tao"),
        ("Đang chờ thẩm định hồ sơ dự án", "thu_tuc"),
        ("Đã đạt 80% chỉ tiêu", "khac"),  # "đạt" is not "đất": marks count when the text has them
        ("", "khac"),
    ],
)
def test_a_text_is_about_the_first_theme_whose_keywords_it_holds(text, theme):
    assert rule.theme_of(text) == theme


def test_the_addressee_is_the_first_body_a_text_names_else_the_entry_s_body():
    bodies = rule.BodyNames.of(["Sở Tài chính", "UBND tỉnh Bắc Ninh", "Xã Lục Ngạn", "Huyện Lục Ngạn"])
    assert bodies.find("Đề nghị UBND tỉnh bố trí kinh phí, Sở Tài chính thẩm định") == "UBND tỉnh"
    assert bodies.find("Đề nghị UBND tỉnh Bắc Ninh bố trí kinh phí") == "UBND tỉnh Bắc Ninh"  # the longest
    assert bodies.find("de nghi so tai chinh som giao du toan") == "Sở Tài chính"
    assert bodies.find("Đề nghị Ủy ban nhân dân tỉnh quan tâm") == "UBND tỉnh"  # an alias
    assert bodies.find("Kinh phí được giao chậm") is None
    groups = rule.group(
        [
            rule.Item("Kinh phí được giao chậm.", 1, "Xã Lục Ngạn"),
            rule.Item("Đề nghị Sở Tài chính sớm giao dự toán.", 1, "Xã Lục Ngạn"),
        ],
        bodies,
    )
    assert [(g.label, [a.name for a in g.addressees]) for g in groups] == [
        ("Kinh phí", ["Xã Lục Ngạn", "Sở Tài chính"])
    ]


def test_the_same_text_of_several_tasks_of_one_addressee_is_one_line_with_its_count():
    bodies = rule.BodyNames.of([])
    items = [
        rule.Item("Đề nghị UBND tỉnh bố trí kinh phí.", 11, "Xã Lục Ngạn"),
        rule.Item("đề nghị  UBND tỉnh bố trí kinh phí", 12, "Xã Lục Ngạn"),  # case, spacing, stop
        rule.Item("Đề nghị UBND tỉnh bố trí kinh phí.", 13, "Phường Nếnh"),
        rule.Item("- Quỹ đất chưa đủ 500 m²\n- Đề nghị UBND tỉnh bố trí kinh phí.", 14, "Phường Nếnh"),
        rule.Item("Quỹ đất chưa đủ 500 m².", 15, "Xã Lục Ngạn"),
    ]
    groups = rule.group(items, bodies)
    assert [g.code for g in groups] == ["kinh_phi", "dat_dai"]
    money = groups[0].addressees
    assert [(a.name, [(line.text, line.tasks) for line in a.lines]) for a in money] == [
        ("UBND tỉnh", [("Đề nghị UBND tỉnh bố trí kinh phí", [11, 12, 13, 14])])
    ]
    land = groups[1].addressees
    assert [(a.name, [line.tasks for line in a.lines]) for a in land] == [
        ("Phường Nếnh", [[14]]),
        ("Xã Lục Ngạn", [[15]]),
    ]
    text = rule.grouped_text(groups, "Không có.")
    assert text.splitlines() == [
        "1. Kinh phí",
        "- UBND tỉnh: Đề nghị UBND tỉnh bố trí kinh phí (4 nhiệm vụ: Xã Lục Ngạn 2, Phường Nếnh 2).",
        "2. Đất đai, mặt bằng",
        "- Phường Nếnh: Quỹ đất chưa đủ 500 m² (1 nhiệm vụ).",
        "- Xã Lục Ngạn: Quỹ đất chưa đủ 500 m² (1 nhiệm vụ).",
    ]
    assert rule.grouped_text([], "Không có.") == "Không có."


def test_a_draft_s_scope_is_the_province_or_a_known_locality():
    assert rule.check_scope("toan-tinh", ["luc-ngan"]) is None
    assert rule.check_scope("luc-ngan", ["luc-ngan"]) is None
    assert rule.check_scope("xyz", ["luc-ngan"]) == "không có phạm vi báo cáo “xyz”."
