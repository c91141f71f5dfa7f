"""Names typed by people matched to the catalogue's: case, spacing, Unicode form aside; never diacritics."""

import unicodedata

from lib.core.names import Names, closest, name_key

AGENCIES = Names(
    [
        (n, i)
        for i, n in enumerate(
            ("Sở Tài chính", "Sở Tài nguyên và Môi trường", "UBND huyện Lục Ngạn", "Công an tỉnh")
        )
    ],
    aliases=[("stc", 0)],
)


def test_case_spacing_and_unicode_form_do_not_matter():
    assert AGENCIES.find("ubnd  HUYỆN lục ngạn") == 2
    assert AGENCIES.find(unicodedata.normalize("NFD", "Sở Tài chính")) == 0
    assert AGENCIES.find(" sở tài CHÍNH\u00a0") == 0
    assert AGENCIES.find("STC") == 0  # an alias
    assert name_key("Đ") == name_key("đ")


def test_diacritics_do_matter_but_suggest_the_name_meant():
    assert AGENCIES.find("Sở Tai chinh") is None
    assert AGENCIES.closest("Sở Tai chinh") == ["Sở Tài chính"]
    assert AGENCIES.closest("ubnd luc ngan") == ["UBND huyện Lục Ngạn"]
    assert AGENCIES.closest("Sở Giáo dục") == []  # nothing close: no suggestion rather than a wrong one
    assert "stc" not in AGENCIES.closest("stc")  # aliases are never suggested


def test_closest_lists_at_most_three_names_best_first():
    names = ["Phường Trần Phú", "Trần Phú", "Thọ Xương", "Ngô Quyền"]
    assert closest("Tran Phu", names)[0] in ("Trần Phú", "Phường Trần Phú")
    assert len(closest("Tran", names)) <= 3
    assert closest("", names) == []
