"""The frame of every run (lib/ui/shell.py): the page list each role gets, built once per process and
handed to each run as its own copies."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _page_lists() -> None:
    import streamlit as st

    from lib.core.roles import Actor
    from lib.ui import shell

    def actor(role: str) -> Actor:
        return Actor(user_id=None, username=role, display_name=role, role=role)

    leader = shell.pages(actor("lanh_dao"))
    office = shell.pages(actor("van_phong"))
    other_leader = shell.pages(actor("lanh_dao"))  # another session of the same role
    chosen = st.navigation(leader, position="hidden")  # marks the page this session runs
    st.session_state["seen"] = {
        "leader": [(p.url_path, p.title) for p in leader],
        "office": [p.url_path for p in office],
        "all": [p.url_path for p in shell.all_pages()],
        "chosen": chosen.url_path,
        "shared": sum(p is q for p in leader for q in other_leader + office),
        # A page marked callable in another session's list: that session's page.run() would clear
        # the mark this one relies on, and one of two users opening the same page would be refused.
        "marked_elsewhere": [p.url_path for p in other_leader + office if p._can_be_called],
    }


def test_each_run_gets_its_own_copies_of_the_pages_of_its_role() -> None:
    for _ in range(2):  # the second run uses the pages built by the first
        at = AppTest.from_function(_page_lists, default_timeout=30).run()
        assert not at.exception
        seen = at.session_state["seen"]
        assert seen["leader"] == [
            ("", "Tổng quan"),
            ("nhiem-vu", "Nhiệm vụ"),
            ("van-ban", "Văn bản"),
            ("tru-so", "Trụ sở, kinh phí"),
            ("phuong-kieu-mau", "Phường kiểu mẫu"),
            ("qua-han", "Quá hạn, đôn đốc"),
            ("bao-cao", "Báo cáo năm"),
            ("lich-su", "Lịch sử"),
            ("tai-khoan", "Tài khoản"),
        ]
        assert seen["office"] == [
            "",
            "nhiem-vu",
            "van-ban",
            "tru-so",
            "phuong-kieu-mau",
            "qua-han",
            "bao-cao",
            "lich-su",
            "nhap-so-theo-doi",
            "to-chuc",
            "quan-tri",
            "tai-khoan",
        ]
        assert seen["all"] == seen["office"]
        assert seen["chosen"] == ""
        assert seen["shared"] == 0
        assert seen["marked_elsewhere"] == []
