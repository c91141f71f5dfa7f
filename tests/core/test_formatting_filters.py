from datetime import date

from lib.core.filters import (
    DUE_SOON,
    FilterOptions,
    Filters,
    filters_to_params,
    parse_as_of,
    parse_filters,
    parse_page,
)
from lib.core.formatting import fmt_billion, fmt_date, fmt_document_number, fmt_money_short, fmt_pct, fmt_vnd

OPTIONS = FilterOptions(
    localities={"luc-ngan": "Huyện Lục Ngạn", "viet-yen": "Thị xã Việt Yên", "cap-tinh": "Cấp tỉnh"},
    clauses={"1": "Mục 1", "3": "Mục 3"},
    documents={"30-da-bca": "30/ĐA-BCA"},
    agencies={"cat": "Công an tỉnh"},
    cooperators={"stc": "Sở Tài chính", "sxd": "Sở Xây dựng"},
)


def test_vietnamese_formats():
    assert fmt_vnd(1_250_000_000) == "1.250.000.000 đ"
    assert fmt_money_short(1_250_000_000) == "1,25 tỷ đồng"
    assert fmt_money_short(157_740_000_000) == "157,74 tỷ đồng"
    assert fmt_money_short(45_500_000) == "45,5 triệu đồng"
    assert fmt_billion(157_740_000_000) == "157,74"
    assert fmt_billion(1_234_567_890_123) == "1.234,57"
    assert fmt_pct(0.6667) == "66,7%"
    assert fmt_pct(None) == "–"
    assert fmt_date(date(2026, 3, 5)) == "05/03/2026"
    assert fmt_document_number("885/QĐ-UBND") == "885/QĐ-UBND"
    assert fmt_document_number("/UBND-NC") == "Công văn /UBND-NC"  # the letter's number was left blank


def test_filters_round_trip_through_the_query_string():
    filters = Filters(localities=("luc-ngan", "cap-tinh"), clauses=("3",), buckets=("qua_han", DUE_SOON))
    params = filters_to_params(filters)
    assert params == {"dia_ban": "luc-ngan,cap-tinh", "muc": "3", "tinh_trang": "qua-han,sap-den-han"}
    parsed, warnings = parse_filters(params, OPTIONS)
    assert parsed == filters
    assert warnings == []


def test_the_cooperating_agencies_filter_round_trips_as_phoi_hop():
    filters = Filters(agencies=("cat",), cooperators=("stc", "sxd"))
    params = filters_to_params(filters)
    assert params == {"chu_tri": "cat", "phoi_hop": "stc,sxd"}
    parsed, warnings = parse_filters({**params, "phoi_hop": "stc,sxd,ha-noi"}, OPTIONS)
    assert parsed == filters
    assert warnings == ["Không có cơ quan phối hợp “ha-noi” — đã bỏ qua bộ lọc này."]
    assert not parsed.is_empty and Filters().is_empty


def test_unknown_values_are_dropped_with_a_vietnamese_warning():
    parsed, warnings = parse_filters({"dia_ban": "luc-ngan,ha-noi", "tinh_trang": "xyz"}, OPTIONS)
    assert parsed.localities == ("luc-ngan",)
    assert parsed.buckets == ()
    assert warnings == [
        "Không có địa bàn “ha-noi” — đã bỏ qua bộ lọc này.",
        "Không có tình trạng “xyz” — đã bỏ qua bộ lọc này.",
    ]


def test_as_of_date_accepts_iso_and_vietnamese_and_refuses_garbage():
    today = date(2026, 11, 29)
    assert parse_as_of("2025-12-15", today) == (date(2025, 12, 15), None)
    assert parse_as_of("15/12/2025", today) == (date(2025, 12, 15), None)
    assert parse_as_of(None, today) == (today, None)
    for bad in ("hôm qua", "2025-02-30", "31/31/2025"):
        value, warning = parse_as_of(bad, today)
        assert value == today
        assert warning == f"Ngày “{bad}” không hợp lệ — đang dùng ngày 29/11/2026."
    # a real date, but none the figures can be asked for
    assert parse_as_of("1900-01-01", today) == (
        today,
        "Ngày “1900-01-01” nằm ngoài khoảng có số liệu (01/01/2020–31/12/2100) — đang dùng ngày 29/11/2026.",
    )


def test_page_number_is_clamped():
    assert parse_page("3", 5) == 3
    assert parse_page("99", 5) == 5
    assert parse_page("0", 5) == 1
    assert parse_page("abc", 5) == 1
    assert parse_page(None, 0) == 1


def test_the_assigning_document_has_its_own_parameter_next_to_the_basis():
    filters = Filters(documents=("30-da-bca",), assigning=("215-kh-cat-2026",))
    options = FilterOptions(documents={"30-da-bca": "30/ĐA-BCA", "215-kh-cat-2026": "215/KH-CAT"})
    params = filters_to_params(filters)
    assert params == {"van_ban": "30-da-bca", "van_ban_giao": "215-kh-cat-2026"}
    assert parse_filters(params, options) == (filters, [])
    assert not filters.is_empty and Filters().is_empty
    parsed, warnings = parse_filters({"van_ban_giao": "99-kh"}, options)
    assert parsed.assigning == () and warnings == ["Không có văn bản giao “99-kh” — đã bỏ qua bộ lọc này."]


def test_codes_for_urls_are_plain_ascii():
    from lib.core.validation import same_name, slug

    assert slug("215/KH-CAT 2026") == "215-kh-cat-2026"
    assert slug("Đài Phát thanh và Truyền hình tỉnh") == "dai-phat-thanh-va-truyen-hinh"  # 30 at most
    assert slug("Sở Tài nguyên và Môi trường") == "so-tai-nguyen-va-moi-truong"
    assert same_name("Sở  Tài chính ", "sở tài chính") and not same_name("Sở Tài chính", "Sở Xây dựng")
