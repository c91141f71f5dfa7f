"""The February 2024 letter of UBND tỉnh Bắc Giang as data: documents, clauses, agencies, duties.

Summaries are our own words. The letter's number was left blank ("Số: /UBND-NC") and its day
unstated, so it is recorded as "tháng 02/2024".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from lib.core import recurrence

LETTER = "cv-ubnd-2024"
DA30 = "30-da-bca"
DA885 = "885-qd-ubnd"
CV1776 = "1776-cv-tu"

# code, number, issued_on, issued_label, issuer, title
DOCUMENTS = (
    (
        LETTER,
        "/UBND-NC",
        None,
        "tháng 02/2024",
        "UBND tỉnh Bắc Giang",
        "Công văn V/v triển khai thực hiện Đề án “Xây dựng Công an phường thật sự trong sạch, "
        "vững mạnh, chính quy, tinh nhuệ, hiện đại, đáp ứng yêu cầu, nhiệm vụ trong tình hình mới”",
    ),
    (
        DA30,
        "30/ĐA-BCA",
        date(2023, 11, 7),
        "07/11/2023",
        "Bộ Công an",
        "Đề án xây dựng Công an phường thật sự trong sạch, vững mạnh, chính quy, tinh nhuệ, "
        "hiện đại, đáp ứng yêu cầu, nhiệm vụ trong tình hình mới",
    ),
    (
        DA885,
        "885/QĐ-UBND",
        date(2023, 6, 17),
        "17/06/2023",
        "UBND tỉnh Bắc Giang",
        "Quyết định phê duyệt Đề án xây dựng Công an phường điển hình, kiểu mẫu về ANTT và văn minh "
        "đô thị trên địa bàn tỉnh giai đoạn 2023–2030 (Đề án 885)",
    ),
    (
        CV1776,
        "1776-CV/TU",
        date(2022, 12, 19),
        "19/12/2022",
        "Tỉnh ủy Bắc Giang",
        "Công văn về xây dựng “Công an phường điển hình, kiểu mẫu ANTT và đô thị văn minh”",
    ),
)

# The kind of each document above that is not a công văn.
DOCUMENT_KINDS = {DA30: "de_an", DA885: "quyet_dinh"}

# code, title, summary (our words)
CLAUSES = (
    (
        "1",
        "Mục 1 – Công an tỉnh",
        "Công an tỉnh lập kế hoạch thực hiện Đề án 30/ĐA-BCA của tỉnh, cùng cơ quan báo chí, "
        "thông tin đưa Đề án đến cơ quan, đoàn thể và người dân; củng cố tổ chức, biên chế và "
        "đào tạo, bồi dưỡng lực lượng Công an phường, trước hết ở các phường mới sáp nhập và các "
        "xã, thị trấn được nâng lên phường.",
    ),
    (
        "2",
        "Mục 2 – Các sở, ngành và UBND cấp huyện",
        "Các sở, cơ quan thuộc UBND tỉnh và UBND cấp huyện tiếp tục thực hiện Công văn 1776-CV/TU "
        "và Đề án 885 song song với Đề án 30/ĐA-BCA: đến năm 2025 Công an phường cơ bản tinh, gọn, "
        "mạnh; đến năm 2030 trong sạch, vững mạnh, chính quy, tinh nhuệ, hiện đại.",
    ),
    (
        "3",
        "Mục 3 – Lục Ngạn, Yên Dũng, Việt Yên, TP Bắc Giang",
        "Bốn địa phương tiếp tục Đề án 885 cùng Đề án 30/ĐA-BCA, có thể đưa chỉ tiêu về sớm hơn; "
        "dành kinh phí và quỹ đất (tối thiểu 500 m²) xây mới trụ sở Công an phường, cải tạo, sửa "
        "chữa trụ sở, mua sắm phương tiện, thiết bị; thực hiện chế độ, chính sách, thi đua, khen thưởng.",
    ),
    (
        "4",
        "Mục 4 – Việt Yên và TP Bắc Giang",
        "Thị xã Việt Yên và thành phố Bắc Giang đẩy nhanh xây dựng trụ sở Công an phường, xã; ổn "
        "định tổ chức sau sáp nhập phường và nâng cấp xã, thị trấn lên phường; chọn và đăng ký các "
        "phường làm điểm mô hình “Công an phường điển hình, kiểu mẫu” trong năm 2024.",
    ),
    (
        "bc",
        "Báo cáo hằng năm (trước 15/12)",
        "Mọi cơ quan, địa phương nhận văn bản báo cáo kết quả thực hiện hằng năm trước ngày 15/12 "
        "về UBND tỉnh qua Công an tỉnh; Công an tỉnh theo dõi, đôn đốc, kiểm tra và tổng hợp.",
    ),
)

# code, name, kind
LOCALITIES = (
    ("luc-ngan", "Huyện Lục Ngạn", "huyen"),
    ("yen-dung", "Huyện Yên Dũng", "huyen"),
    ("viet-yen", "Thị xã Việt Yên", "thi_xa"),
    ("bac-giang", "Thành phố Bắc Giang", "thanh_pho"),
)
LOCALITY_BY_CSV_NAME = {name: code for code, name, _ in LOCALITIES}

# code, name, kind, locality code. A `ubnd` or `cong_an` agency with no locality (and no unit) is the
# province's own People's Committee or police: the bodies a report is issued by and sent to
# (lib/data/issuers.py); which one is meant on a day follows their validity (AGENCY_STANDING).
AGENCIES = (
    ("cat", "Công an tỉnh Bắc Giang", "cong_an", None),
    ("stc", "Sở Tài chính", "so_nganh", None),
    ("skhdt", "Sở Kế hoạch và Đầu tư", "so_nganh", None),
    ("stnmt", "Sở Tài nguyên và Môi trường", "so_nganh", None),
    ("sxd", "Sở Xây dựng", "so_nganh", None),
    ("snv", "Sở Nội vụ", "so_nganh", None),
    ("stttt", "Sở Thông tin và Truyền thông", "so_nganh", None),
    ("bbg", "Báo Bắc Giang", "bao_chi", None),
    ("dptth", "Đài Phát thanh và Truyền hình tỉnh", "bao_chi", None),
    ("ubnd-luc-ngan", "UBND huyện Lục Ngạn", "ubnd", "luc-ngan"),
    ("ubnd-yen-dung", "UBND huyện Yên Dũng", "ubnd", "yen-dung"),
    ("ubnd-viet-yen", "UBND thị xã Việt Yên", "ubnd", "viet-yen"),
    ("ubnd-bac-giang", "UBND thành phố Bắc Giang", "ubnd", "bac-giang"),
    ("ubnd-tinh-bg", "UBND tỉnh Bắc Giang", "ubnd", None),
    ("ubnd-tinh-bn", "UBND tỉnh Bắc Ninh", "ubnd", None),
    ("cat-bn", "Công an tỉnh Bắc Ninh", "cong_an", None),
)


@dataclass(frozen=True)
class Standing:
    """When an agency is valid (inclusive; None: open), the body above it and the place its documents
    are dated from — what a document's header needs (Nghị định 30/2020/NĐ-CP, Phụ lục I)."""

    valid_from: date | None = None
    valid_to: date | None = None
    superior: str = ""
    place: str = ""


# On 1/7/2025 tỉnh Bắc Giang merged into the new tỉnh Bắc Ninh (reference/reorganisation.md): the
# provincial People's Committee and police of Bắc Giang end on 30/6/2025, those of Bắc Ninh begin.
# `cat` stays the 2024–2025 police (the letter's addressee, the lead of its duties).
PROVINCE_MERGED_ON = date(2025, 7, 1)
AGENCY_STANDING = {
    "cat": Standing(None, date(2025, 6, 30), "Bộ Công an", "Bắc Giang"),
    "ubnd-tinh-bg": Standing(None, date(2025, 6, 30), "", "Bắc Giang"),
    "ubnd-tinh-bn": Standing(PROVINCE_MERGED_ON, None, "", "Bắc Ninh"),
    "cat-bn": Standing(PROVINCE_MERGED_ON, None, "Bộ Công an", "Bắc Ninh"),
}
DEPARTMENTS = ("stc", "skhdt", "stnmt", "sxd", "snv", "stttt")


@dataclass(frozen=True)
class TaskTemplate:
    clause: str
    title: str
    deadline: date | None
    basis: tuple[str, ...]
    cooperators: tuple[str, ...] = field(default=())


PROVINCE_TASKS = (
    (
        "cat",
        TaskTemplate(
            "1",
            "Xây dựng Kế hoạch triển khai thực hiện Đề án 30/ĐA-BCA trên địa bàn tỉnh",
            date(2024, 3, 31),
            (DA30,),
            ("stttt",),
        ),
    ),
    (
        "cat",
        TaskTemplate(
            "1",
            "Tuyên truyền mục đích, ý nghĩa của Đề án 30/ĐA-BCA trên báo chí, phát thanh, truyền hình",
            date(2024, 12, 31),
            (DA30,),
            ("stttt", "bbg", "dptth"),
        ),
    ),
    (
        "cat",
        TaskTemplate(
            "1", "Kiện toàn tổ chức, biên chế Công an các phường", date(2025, 6, 30), (DA30,), ("snv",)
        ),
    ),
    (
        "cat",
        TaskTemplate(
            "1",
            "Đào tạo, bồi dưỡng cán bộ Công an phường, ưu tiên phường sau sáp nhập "
            "và xã, thị trấn lên phường",
            date(2025, 12, 31),
            (DA30,),
        ),
    ),
    (
        "stc",
        TaskTemplate(
            "2",
            "Tham mưu bố trí kinh phí thực hiện Đề án 885 và Đề án 30/ĐA-BCA",
            date(2024, 12, 31),
            (DA885, DA30, CV1776),
            ("skhdt",),
        ),
    ),
    (
        "skhdt",
        TaskTemplate(
            "2",
            "Tham mưu vốn đầu tư công xây dựng trụ sở Công an phường giai đoạn 2024–2025",
            date(2024, 9, 30),
            (DA885, DA30),
            ("stc",),
        ),
    ),
    (
        "stnmt",
        TaskTemplate(
            "2",
            "Hướng dẫn các địa phương bố trí quỹ đất xây dựng trụ sở Công an phường",
            date(2024, 6, 30),
            (DA885, DA30),
        ),
    ),
    (
        "sxd",
        TaskTemplate(
            "2",
            "Hướng dẫn thiết kế mẫu, thẩm định dự án trụ sở Công an phường",
            date(2024, 9, 30),
            (DA885, DA30),
        ),
    ),
    (
        "snv",
        TaskTemplate(
            "2",
            "Hướng dẫn thi đua, khen thưởng trong xây dựng Công an phường điển hình, kiểu mẫu",
            date(2025, 3, 31),
            (DA885, CV1776),
        ),
    ),
)

LOCALITY_TASKS = (
    TaskTemplate(
        "2",
        "Chỉ đạo thực hiện Công văn 1776-CV/TU và Đề án 885 gắn với Đề án 30/ĐA-BCA",
        date(2024, 6, 30),
        (CV1776, DA885, DA30),
        ("cat",),
    ),
    TaskTemplate(
        "3",
        "Rà soát, điều chỉnh chỉ tiêu, lộ trình Đề án 885 theo hướng hoàn thành sớm",
        date(2024, 6, 30),
        (DA885,),
        ("cat",),
    ),
    TaskTemplate(
        "3",
        "Bố trí kinh phí xây mới, cải tạo, sửa chữa trụ sở Công an phường",
        date(2025, 12, 31),
        (DA885, DA30),
        ("stc", "skhdt"),
    ),
    TaskTemplate(
        "3",
        "Bố trí đất (tối thiểu 500 m²) xây dựng trụ sở Công an phường",
        date(2025, 6, 30),
        (DA885, DA30),
        ("stnmt",),
    ),
    TaskTemplate(
        "3",
        "Trang bị phương tiện, thiết bị làm việc cho Công an phường",
        date(2026, 6, 30),
        (DA885, DA30),
        ("cat",),
    ),
    TaskTemplate(
        "3",
        "Thực hiện chế độ, chính sách, thi đua, khen thưởng đối với Công an phường",
        date(2026, 12, 31),
        (DA885,),
        ("snv",),
    ),
)

CLAUSE4_LOCALITIES = ("viet-yen", "bac-giang")
CLAUSE4_TASKS = (
    TaskTemplate(
        "4",
        "Đẩy nhanh tiến độ xây dựng trụ sở làm việc Công an phường, xã",
        date(2025, 12, 31),
        (DA30, DA885),
        ("cat", "sxd"),
    ),
    TaskTemplate(
        "4",
        "Ổn định tổ chức sau sáp nhập phường và nâng cấp xã, thị trấn lên phường",
        date(2025, 3, 31),
        (DA30,),
        ("cat", "snv"),
    ),
    TaskTemplate(
        "4",
        "Lựa chọn, đăng ký phường điểm “Công an phường điển hình, kiểu mẫu” năm 2024",
        date(2024, 4, 30),
        (DA885, CV1776),
        ("cat",),
    ),
)

# Addressees owing the yearly report: Công an tỉnh, the departments, the four localities' UBND.
REPORTING_AGENCIES = ("cat", *DEPARTMENTS, *(f"ubnd-{code}" for code, _, _ in LOCALITIES))
PROGRAMME_YEARS = (2023, 2030)  # Đề án 30/ĐA-BCA and Đề án 885 both run 2023–2030


@dataclass(frozen=True)
class DutyTemplate:
    """A recurring duty of the programme; each addressee gets one Duty row, each period one task.

    `title` may hold "{period}" (the period's label, "năm 2027") and "{deadline}" (dd/mm/yyyy)."""

    document: str
    clause: str | None
    title: str
    recurrence: str
    due: tuple[int, int]  # month, day of the deadline (of the year's first period)
    first_year: int
    last_year: int
    expected_product: str
    cooperators: tuple[str, ...] = field(default=())


YEARLY_REPORT = DutyTemplate(
    LETTER,
    "bc",
    "Báo cáo kết quả thực hiện {period} (trước {deadline})",
    recurrence.YEARLY,
    (12, 15),
    2024,
    PROGRAMME_YEARS[1],
    "Báo cáo kết quả thực hiện năm gửi UBND tỉnh (qua Công an tỉnh)",
)

# The reviews. The letter does not date them and we do not hold the schemes' own texts, so these
# are chosen, not quoted: both schemes run 2023–2030, and Vietnamese schemes of
# that span are typically reviewed at mid-term (sơ kết, 2025, when Đề án 30/ĐA-BCA wants ward police
# "cơ bản tinh, gọn, mạnh") and at the end (tổng kết, 2030). Each of the four localities reviews its
# own work and sends its report to Công an tỉnh, which — as the standing agency of the letter —
# consolidates them with the departments and advises UBND tỉnh; so the localities are due a month
# before Công an tỉnh (31/10 and 30/11/2025; 30/9 and 31/10/2030), and the province's review comes
# before the yearly report of 15/12. The departments report through Công an tỉnh's review. An
# addressee retired by then (a locality merged away) owes nothing: see lib/ops/duties.py.
MIDTERM_LOCAL = DutyTemplate(
    DA885,
    None,
    "Sơ kết giữa kỳ (2023–2025) thực hiện Đề án 885 và Đề án 30/ĐA-BCA trên địa bàn",
    recurrence.ONCE,
    (10, 31),
    2025,
    2025,
    "Báo cáo sơ kết của UBND cấp huyện gửi Công an tỉnh",
    ("cat",),
)
MIDTERM_PROVINCE = DutyTemplate(
    DA885,
    None,
    "Tham mưu UBND tỉnh sơ kết giữa kỳ (2023–2025) thực hiện Đề án 30/ĐA-BCA và Đề án 885",
    recurrence.ONCE,
    (11, 30),
    2025,
    2025,
    "Báo cáo sơ kết của UBND tỉnh; hội nghị sơ kết",
    DEPARTMENTS,
)
FINAL_LOCAL = DutyTemplate(
    DA885,
    None,
    "Tổng kết thực hiện Đề án 885 và Đề án 30/ĐA-BCA giai đoạn 2023–2030 trên địa bàn",
    recurrence.ONCE,
    (9, 30),
    2030,
    2030,
    "Báo cáo tổng kết của UBND cấp huyện gửi Công an tỉnh",
    ("cat",),
)
FINAL_PROVINCE = DutyTemplate(
    DA885,
    None,
    "Tham mưu UBND tỉnh tổng kết thực hiện Đề án 30/ĐA-BCA và Đề án 885 giai đoạn 2023–2030",
    recurrence.ONCE,
    (10, 31),
    2030,
    2030,
    "Báo cáo tổng kết của UBND tỉnh; hội nghị tổng kết, khen thưởng",
    DEPARTMENTS,
)

# (lead agency code, duty): the yearly report for every addressee first, then the reviews.
DUTIES: tuple[tuple[str, DutyTemplate], ...] = (
    *((agency, YEARLY_REPORT) for agency in REPORTING_AGENCIES),
    ("cat", MIDTERM_PROVINCE),
    *((f"ubnd-{code}", MIDTERM_LOCAL) for code, _, _ in LOCALITIES),
    ("cat", FINAL_PROVINCE),
    *((f"ubnd-{code}", FINAL_LOCAL) for code, _, _ in LOCALITIES),
)
