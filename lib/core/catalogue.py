"""One catalogue per entity: each field's name, Vietnamese label, kind, limits, who may edit it, help.

Everything that shows, reads or writes a field takes it from here: the editor's column settings
(lib/ui/columns.py), the edit engine's checks and messages (lib/editing/changeset.py), the Excel
layouts and the import (lib/files/export.py, importer.py), the report. Adding a field means the
model, a migration, an entry here, and only the places that are about what the field means.

A field with a `parser` and `roles` is editable by those roles; the parser (lib/core/validation.py)
holds its limits, which the editor shows and the engine enforces. A field with an `action` (the
lifecycle of a project: retired by a document, with a reason) is written only by that action of
the engine (and by a revert), never typed in a cell or imported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, Literal

from lib.core import recurrence, rules
from lib.core.roles import ADMIN, EDITORS, OFFICE, VAN_PHONG
from lib.core.validation import Choice, Day, Integer, Invalid, Money, Parser, Text

# kinds: text, int, money, pct (a share 0–100, drawn as a bar), score (0..high, drawn as a bar),
# date, datetime, bool, choice (a code shown by its label), codes (several codes, shown by their labels)
EARLIEST, LATEST = date(2023, 1, 1), date(2035, 12, 31)  # the dates a user may type
RETIRE = "retire"  # the engine's action that stops, cancels or merges a row (never a delete)
MONEY_HELP = "Nhập số đồng nguyên, không dấu phân cách. Ví dụ: 4500000000 = 4,5 tỷ đồng."


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # on screen, in messages, and the header of the Excel column
    kind: str = "text"
    parser: Parser | None = None  # how a typed value is read, with its limits (editable fields)
    roles: tuple[str, ...] = ()  # who may edit it; empty: shown, never typed
    help: str = ""
    choices: Mapping[str, str] | None = None  # code → label
    number_format: str | None = None  # how the editor shows a number ("%d%%")
    high: int | None = None  # the top of a score bar
    width: Literal["small", "medium", "large"] | None = None  # the column's width on screen
    xlsx_width: int = 16  # the column's width in an exported sheet
    in_sheet: bool = True  # False: shown on screen only, not a column of the exported sheet
    action: str | None = None  # written only by this action of the engine (and reverts), never typed

    def editable_by(self, role: str) -> bool:
        """Whether this role may type the field in a cell (the grid, the import)."""
        return self.parser is not None and role in self.roles and self.action is None

    def parse(self, raw: Any) -> Any:
        """Read a typed value within this field's limits; raise Invalid with the reason."""
        if self.parser is None:
            raise Invalid("cột này không nhập được.")
        return self.parser.parse(raw)


@dataclass(frozen=True)
class Entity:
    name: str  # as the audit trail and the URLs know it
    noun: str  # "nhiệm vụ", in messages
    fields: tuple[Field, ...]  # in the order of the exported sheet
    grid: tuple[str, ...] = ()  # the on-screen order where it differs (empty: the fields' order)
    title: str = ""  # the column that says which row it is ("Nhiệm vụ", "Phường, xã")

    @cached_property
    def _by_name(self) -> Mapping[str, Field]:
        # Every cell the grid shows asks for its field by name (`shown`): a dict, not a scan.
        return {f.name: f for f in self.fields}

    def __getitem__(self, name: str) -> Field:
        return self._by_name[name]

    def get(self, name: str) -> Field | None:
        return self._by_name.get(name)

    def shown(self, name: str, value: Any) -> Any:
        """A stored value as people read it: a code by its label, several codes joined."""
        f = self.get(name)
        if f is None or f.choices is None:
            return value
        if f.kind == "codes":
            if isinstance(value, str):  # already read
                return value
            return ", ".join(f.choices.get(c, c) for c in value or ())
        return f.choices.get(value, value)

    def pick(self, names: Sequence[str]) -> tuple[Field, ...]:
        return tuple(self[n] for n in names)

    @property
    def grid_columns(self) -> tuple[str, ...]:
        """The columns of the on-screen table, in order."""
        return self.grid or tuple(f.name for f in self.fields)

    def grid_for(self, role: str) -> tuple[str, ...]:
        """The columns of the editable table for someone who edits as `role`, in order: the id, the
        row's title, the columns this role may edit (in the fields' order), then the rest as in
        `grid_columns`. What a user may type never starts off-screen to the right of what they
        may only read. Read-only tables keep `grid_columns`."""
        grid = self.grid_columns
        head = [n for n in ("id", self.title) if n and n in grid]
        editable = [n for n in self.editable_by(role) if n in grid and n not in head]
        taken = {*head, *editable}
        return (*head, *editable, *(n for n in grid if n not in taken))

    @property
    def sheet_columns(self) -> tuple[str, ...]:
        """The columns of the exported sheet, in order."""
        return tuple(f.name for f in self.fields if f.in_sheet)

    @property
    def editable(self) -> dict[str, Field]:
        """The fields anyone may write, by name (those with an `action` only through that action)."""
        return {f.name: f for f in self.fields if f.parser is not None and f.roles}

    @property
    def typed(self) -> dict[str, Field]:
        """The fields anyone may type in a cell, by name (the editable ones without an `action`)."""
        return {n: f for n, f in self.editable.items() if f.action is None}

    def editable_by(self, role: str) -> list[str]:
        """The fields this role may type: the one rule the editor, the engine and the import share."""
        return [f.name for f in self.fields if f.editable_by(role)]


# --- shared fields ---------------------------------------------------------------------------------

ID = Field("id", "Mã", "int", xlsx_width=8)
LOCALITY = Field("locality", "Địa bàn", xlsx_width=22)
VERSION = Field("version", "Phiên bản", "int", xlsx_width=9)
UPDATED_BY = Field("updated_by", "Người cập nhật", xlsx_width=14)
UPDATED_AT = Field("updated_at", "Cập nhật lúc", "datetime")
NOTES = Field("notes", "Ghi chú", parser=Text(2000, multiline=True), roles=EDITORS, xlsx_width=30)
TRAIL = (NOTES, VERSION, UPDATED_BY, UPDATED_AT)  # every editable sheet ends with these
# Where a project or a registration stands as a record; written only by "retire" (and reverts).
LIFECYCLE = (
    Field(
        "lifecycle",
        "Trạng thái theo dõi",
        "choice",
        Choice(tuple(rules.LIFECYCLE_LABELS), dict(rules.LIFECYCLE_LABELS)),
        EDITORS,
        choices=rules.LIFECYCLE_LABELS,
        width="medium",
        xlsx_width=20,
        action=RETIRE,
    ),
    Field(
        "lifecycle_doc",
        "Văn bản dừng/hủy/gộp",
        parser=Text(200),
        roles=EDITORS,
        help="Số, ký hiệu văn bản quyết định dừng, hủy bỏ hoặc gộp.",
        xlsx_width=20,
        action=RETIRE,
    ),
    Field(
        "merged_into_id",
        "Gộp vào mã",
        "int",
        Integer(1, 2_147_483_647, "", required=False),
        EDITORS,
        number_format="%d",
        xlsx_width=10,
        action=RETIRE,
    ),
)


def _day(name: str, label: str, roles: tuple[str, ...] = EDITORS) -> Field:
    return Field(name, label, "date", Day(EARLIEST, LATEST), roles, xlsx_width=12)


def _choice(name: str, label: str, labels: Mapping[str, str], **more: object) -> Field:
    return Field(name, label, "choice", Choice(tuple(labels), dict(labels)), EDITORS, choices=labels, **more)  # type: ignore[arg-type]


def _money(name: str, label: str) -> Field:
    return Field(
        name,
        label,
        "money",
        Money(rules.MAX_PROJECT_VND),
        EDITORS,
        help=MONEY_HELP,
        number_format="%d",
        xlsx_width=18,
    )


# --- tasks -----------------------------------------------------------------------------------------

DEADLINE_ROLES = (ADMIN, VAN_PHONG)  # a new deadline needs the office and a document

TASK = Entity(
    "task",
    "nhiệm vụ",
    (
        ID,
        Field("clause", "Mục", xlsx_width=6),
        Field("title", "Nhiệm vụ", width="large", xlsx_width=60),
        LOCALITY,
        Field("lead_agency", "Chủ trì", xlsx_width=28),
        Field("cooperators", "Cơ quan phối hợp", width="medium", xlsx_width=36),  # names, "; " between
        Field("document", "Văn bản giao", xlsx_width=20),  # the number of the document that assigned it
        Field("basis", "Căn cứ", xlsx_width=26),  # the numbers of the documents it rests on, "; " between
        Field("original_deadline", "Hạn ban đầu", "date", xlsx_width=12),
        _day("current_deadline", "Hạn hiện tại", DEADLINE_ROLES),
        Field("extension_doc", "Văn bản gia hạn", parser=Text(200), roles=DEADLINE_ROLES, xlsx_width=18),
        Field("bucket", "Tình trạng", "choice", choices=rules.BUCKET_LABELS, width="medium", xlsx_width=24),
        Field("days_overdue", "Số ngày quá hạn", "int", xlsx_width=10),
        Field("days_left", "Còn (ngày)", "int", in_sheet=False),
        # A request waiting for the office ("Chờ xác nhận: hoàn thành ngày 12/11/2026"), lib/core/requests.py.
        Field("request", "Đề nghị", width="medium", xlsx_width=28),
        # The letters that named it ("đã đôn đốc 2 lần, lần gần nhất 12/11/2026"), lib/core/reminders.py.
        Field("reminders", "Đôn đốc", width="medium", xlsx_width=28),
        # The latest leader's direction on the task ("… — Lãnh đạo, 12/11/2026"), lib/core/discussion.py.
        Field("direction", "Chỉ đạo", width="medium", xlsx_width=36),
        _choice("state", "Trạng thái", rules.STATE_LABELS),
        Field(
            "progress_pct",
            "Tiến độ (%)",
            "int",
            Integer(0, 100, "%"),
            EDITORS,
            number_format="%d%%",
            xlsx_width=10,
        ),
        _day("completed_on", "Ngày hoàn thành"),
        Field("result", "Kết quả", parser=Text(2000, multiline=True), roles=EDITORS, xlsx_width=40),
        Field("result_doc", "Văn bản kết quả", parser=Text(200), roles=EDITORS, xlsx_width=18),
        Field(
            "obstacles",
            "Khó khăn, vướng mắc",
            parser=Text(2000, multiline=True),
            roles=EDITORS,
            xlsx_width=40,
        ),
        *TRAIL,
    ),
    # On screen: where it stands and what to do first, the record's own columns after.
    grid=(
        "id",
        "bucket",
        "title",
        "locality",
        "lead_agency",
        "cooperators",
        "current_deadline",
        "days_overdue",
        "request",
        "reminders",
        "direction",
        "state",
        "progress_pct",
        "completed_on",
        "result",
        "result_doc",
        "obstacles",
        "notes",
        "original_deadline",
        "extension_doc",
        "document",
        "clause",
        "basis",
        "version",
        "updated_by",
        "updated_at",
    ),
    title="title",
)

# --- headquarters projects -------------------------------------------------------------------------

HQ_PROJECT = Entity(
    "hq_project",
    "dự án trụ sở",
    (
        ID,
        Field("unit", "Phường, xã", xlsx_width=18),
        LOCALITY,
        Field("flags", "Cảnh báo", "codes", choices=rules.FLAG_LABELS, width="medium", xlsx_width=26),
        _choice("kind", "Loại công trình", rules.KIND_LABELS),
        _choice("land_status", "Tình trạng đất", rules.LAND_STATUS_LABELS, xlsx_width=14),
        Field(
            "land_area_m2",
            "Diện tích đất (m²)",
            "int",
            Integer(0, rules.MAX_LAND_AREA_M2, " m²", required=False),
            EDITORS,
            number_format="%d m²",
            xlsx_width=12,
        ),
        _choice("stage", "Giai đoạn", rules.STAGE_LABELS, width="medium", xlsx_width=22),
        _choice("funding_source", "Nguồn vốn", rules.FUNDING_SOURCE_LABELS),
        _money("planned_vnd", "Dự toán (đồng)"),
        _money("allocated_vnd", "Đã bố trí vốn (đồng)"),
        _money("disbursed_vnd", "Đã giải ngân (đồng)"),
        Field("disbursement_pct", "Giải ngân (%)", "pct", xlsx_width=10),
        _day("start_on", "Ngày khởi công"),
        _day("planned_completion_on", "Hoàn thành theo kế hoạch"),
        _day("actual_completion_on", "Hoàn thành thực tế"),
        *LIFECYCLE,
        *TRAIL,
    ),
    title="unit",
)

# --- model-ward registrations ------------------------------------------------------------------------

MODEL_WARD = Entity(
    "model_ward",
    "phường đăng ký kiểu mẫu",
    (
        ID,
        Field("unit", "Phường", xlsx_width=18),
        LOCALITY,
        Field("year_registered", "Năm đăng ký", "int", number_format="%d", xlsx_width=10),
        Field(
            "criteria_met",
            f"Tiêu chí đạt (/{rules.WARD_CRITERIA})",
            "int",
            Integer(0, rules.WARD_CRITERIA, " tiêu chí"),
            EDITORS,
            number_format="%d",
            xlsx_width=10,
        ),
        Field("criteria_progress", "Mức đạt", "score", high=rules.WARD_CRITERIA, in_sheet=False),
        Field("recognised_decision", "Quyết định công nhận", parser=Text(100), roles=EDITORS, xlsx_width=18),
        _day("recognised_on", "Ngày công nhận"),
        *LIFECYCLE,
        *TRAIL,
    ),
    title="unit",
)

# --- what a new task is given that is not edited afterwards (a form, the onboarding import) ----------

ASSIGNING_DOCUMENT = Field("document_id", "Văn bản giao", xlsx_width=16)
TASK_CONTENT = Field("title", "Nội dung nhiệm vụ", width="large", xlsx_width=60)
LEAD_AGENCY = Field("lead_agency_id", "Cơ quan chủ trì", xlsx_width=28)
COOPERATORS = Field("cooperators", "Cơ quan phối hợp", xlsx_width=28)
EXPECTED_PRODUCT = Field("expected_product", "Sản phẩm dự kiến", xlsx_width=30)
PROVINCE_LEVEL_LABEL = "Cấp tỉnh"  # the "locality" of a province-level task

# --- yearly reports (one per addressee and year, due before 15/12; derived from their tasks) ------------

YEARLY_REPORT = Entity(
    "yearly_report",
    "báo cáo năm",
    (
        Field("year", "Năm", "int", number_format="%d", xlsx_width=8),
        Field("addressee", "Cơ quan, đơn vị", xlsx_width=36),
        LOCALITY,
        Field("deadline", "Hạn", "date", xlsx_width=12),
        Field("submitted_on", "Ngày gửi", "date", xlsx_width=12),
        Field("document", "Số văn bản", xlsx_width=18),
        Field("evidence", "Tệp báo cáo", xlsx_width=18),  # the received report attached to its task
        Field("status", "Tình trạng", xlsx_width=18),
        Field("days_late", "Số ngày trễ", "int", xlsx_width=10),
    ),
)


# --- documents (/van-ban) ----------------------------------------------------------------------------

FIRST_DOCUMENT_DAY = date(2020, 1, 1)  # no document of the programme is older
DOCUMENT_KIND_LABELS = rules.DOCUMENT_KIND_LABELS
DOCUMENT_ROLES = OFFICE  # the office registers documents


def _office(name: str, label: str, parser: Parser, **more: Any) -> Field:
    return Field(name, label, parser=parser, roles=OFFICE, **more)


DOCUMENT = Entity(
    "document",
    "văn bản",
    (
        ID,
        _office("number", "Số, ký hiệu", Text(50), width="small", xlsx_width=18),
        Field(
            "issued_on",
            "Ngày ban hành",
            "date",
            Day(FIRST_DOCUMENT_DAY, LATEST),
            OFFICE,
            help="Không trước 01/01/2020, không sau hôm nay.",
            xlsx_width=12,
        ),
        _office("issuer", "Cơ quan ban hành", Text(100), xlsx_width=24),
        Field(
            "kind",
            "Loại văn bản",
            "choice",
            Choice(tuple(DOCUMENT_KIND_LABELS), dict(DOCUMENT_KIND_LABELS)),
            OFFICE,
            choices=DOCUMENT_KIND_LABELS,
            xlsx_width=12,
        ),
        _office("title", "Trích yếu", Text(1000, multiline=True), width="large", xlsx_width=60),
        Field("tasks", "Nhiệm vụ giao", "int", xlsx_width=10),
        VERSION,
        UPDATED_BY,
        UPDATED_AT,
    ),
)

# How often a duty given by a document comes back (lib/data/models.RECURRENCES).
RECURRENCE_LABELS = recurrence.RECURRENCE_LABELS
RECURRENCE = Field("recurrence", "Lặp lại", "choice", choices=RECURRENCE_LABELS)

# --- agencies and units (/quan-tri): reference data kept by the office ---------------------------------

AGENCY_KIND_LABELS = {
    "cong_an": "Công an",
    "so_nganh": "Sở, ngành",
    "ubnd": "Ủy ban nhân dân",  # of a district, commune, or (with no locality) the province
    "bao_chi": "Báo chí, truyền thông",
}
UNIT_KIND_LABELS = {"phuong": "Phường", "xa": "Xã", "thi_tran": "Thị trấn"}
RETIRED_ON = Field("retired_on", "Thôi sử dụng từ", "date", xlsx_width=12)

AGENCY = Entity(
    "agency",
    "cơ quan",
    (
        ID,
        _office("name", "Tên cơ quan", Text(150), width="large", xlsx_width=36),
        Field("kind", "Loại cơ quan", "choice", choices=AGENCY_KIND_LABELS, xlsx_width=16),
        LOCALITY,
        Field("tasks", "Nhiệm vụ chủ trì", "int", xlsx_width=10),
        RETIRED_ON,
        # Where its reminder letters are mailed (SMTP_URL), lib/editing/reminders.set_agency_email.
        Field("email", "Thư điện tử nhận công văn", width="medium", xlsx_width=28),
    ),
)

UNIT = Entity(
    "unit",
    "phường, xã",
    (
        ID,
        _office("name", "Tên phường, xã", Text(100), width="medium", xlsx_width=24),
        Field("kind", "Loại", "choice", choices=UNIT_KIND_LABELS, xlsx_width=10),
        LOCALITY,
        RETIRED_ON,
    ),
)
# Why a row is retired: a short note kept in the audit trail.
RETIRE_REASON = Field("reason", "Lý do thôi sử dụng", parser=Text(500), roles=OFFICE)

# --- people and sign-in (/quan-tri) -------------------------------------------------------------------

USER = Entity(
    "user",
    "người dùng",
    (
        Field("username", "Tên đăng nhập"),
        Field("display_name", "Họ tên"),
        Field("role", "Vai trò"),
        Field("locality", "Địa bàn"),
        Field("scope", "Phạm vi (cán bộ đầu mối)", width="large"),
        Field("active", "Đang hoạt động", "bool"),
        Field("password_changed_at", "Đổi mật khẩu lúc"),
        Field("last_login", "Đăng nhập gần nhất"),
    ),
)

# Kinds of sign-in lock (lib/data/accounts.py sets them; /quan-tri lists and lifts them).
LOCK_LABELS = {
    "account": "Tài khoản (từ trình duyệt lạ)",
    "client": "Máy (địa chỉ)",
    "device": "Trình duyệt quen",
}
SIGN_IN_LOCK = Entity(
    "login_lock",
    "khóa đăng nhập",
    (
        Field("kind", "Loại khóa", "choice", choices=LOCK_LABELS),
        Field("label", "Đối tượng"),
        Field("until", "Đến"),
    ),
)
ATTEMPT_OUTCOMES = {"failure": "Sai mật khẩu", "refused": "Bị từ chối (tạm khóa)", "success": "Thành công"}
LOGIN_ATTEMPT = Entity(
    "login_attempt",
    "lần đăng nhập",
    (
        Field("at", "Thời điểm"),
        Field("username", "Tên đăng nhập"),
        Field("client", "Máy (địa chỉ)"),
        Field("outcome", "Kết quả", "choice", choices=ATTEMPT_OUTCOMES),
    ),
)

# --- the audit trail (/lich-su) ---------------------------------------------------------------------

# What each kind of row is called in the trail, and what each action is called.
ENTITY_LABELS = {
    "task": "Nhiệm vụ",
    "hq_project": "Trụ sở",
    "model_ward": "Phường kiểu mẫu",
    "document": "Văn bản",
    "duty": "Nhiệm vụ định kỳ",
    "agency": "Cơ quan",
    "unit": "Phường, xã",
    "user": "Người dùng",
    "login_lock": "Khóa đăng nhập",
    "database": "Cơ sở dữ liệu",
    "task_request": "Đề nghị",
    "attachment": "Tệp minh chứng",
    "reminder": "Công văn đôn đốc",
    "locality": "Địa phương",
    "arrangement": "Đợt sắp xếp tổ chức",
    # reporting periods (lib/editing/periods.py)
    "report_period": "Kỳ báo cáo",
    "period_entry": "Báo cáo kỳ",
    "hq_project_year": "Vốn năm của trụ sở",
    # year-end report drafts (lib/editing/report_drafts.py)
    "report_draft": "Dự thảo báo cáo năm",
}
ACTION_LABELS = {
    "update": "Sửa",
    "revert": "Khôi phục",
    "import": "Nhập từ Excel",
    "refused_import": "Bị từ chối (tệp nhập)",
    "touch": "Lưu (không đổi)",
    "create": "Tạo",
    "rename": "Đổi tên",
    "retire": "Dừng, hủy bỏ, gộp, thôi sử dụng",
    "enable": "Kích hoạt",
    "disable": "Vô hiệu hóa",
    "reset_password": "Đặt lại mật khẩu",
    "change_password": "Đổi mật khẩu",
    "set_last_meeting": "Đặt ngày họp trước",
    "change_role": "Đổi vai trò",
    "clear_lock": "Mở khóa đăng nhập",
    "seed_demo": "Nạp dữ liệu mẫu",
    "load_programme": "Nạp dữ liệu chương trình",
    "refused": "Bị từ chối",
    "refused_invalid": "Bị từ chối (dữ liệu sai)",
    "refused_conflict": "Bị từ chối (xung đột)",
    "refused_duplicate": "Bị từ chối (giống dòng đã có)",
    "request": "Gửi đề nghị",
    "confirm": "Xác nhận đề nghị",
    "confirmed_request": "Xác nhận đề nghị",
    "returned_request": "Trả lại đề nghị",
    "withdrawn_request": "Rút đề nghị",
    # evidence files (lib/editing/attachments.py)
    "attach": "Đính kèm tệp",
    "detach": "Gỡ tệp đính kèm",
    "refused_file": "Bị từ chối (tệp đính kèm)",
    # reminder letters (lib/editing/reminders.py)
    "remind": "Đôn đốc bằng công văn",
    "email_reminder": "Gửi thư điện tử công văn đôn đốc",
    # discussion (lib/editing/discussion.py)
    "comment": "Trao đổi",
    "direction": "Ý kiến chỉ đạo",
    # reorganisations (lib/editing/arrangements.py)
    "record_arrangement": "Ghi đợt sắp xếp tổ chức",
    "apply_arrangement": "Áp dụng đợt sắp xếp tổ chức",
    "reorganise": "Chuyển theo sắp xếp tổ chức",
    # reporting periods (lib/editing/periods.py)
    "open": "Mở kỳ báo cáo",
    "close": "Chốt kỳ báo cáo",
    "submit": "Nộp báo cáo kỳ",
    "refused_frozen": "Bị từ chối (đã chốt)",
    # year-end report drafts (lib/editing/report_drafts.py)
    "save_draft": "Lưu dự thảo báo cáo",
    "generate_draft": "Tạo dự thảo từ số liệu",
    "regenerate_draft": "Tạo lại dự thảo từ số liệu",
    "restore_draft": "Khôi phục bản dự thảo",
}

AUDIT_EVENT = Entity(
    "audit_event",
    "sự kiện",
    (
        Field("at", "Thời điểm", "datetime", number_format="HH:mm DD/MM/YYYY"),
        Field("actor", "Người thực hiện"),
        Field("action", "Thao tác", "choice", choices=ACTION_LABELS),
        Field("entity", "Đối tượng", "choice", choices=ENTITY_LABELS),
        Field("title", "Dòng", width="large"),  # the row's title: a task's, "Trụ sở Công an phường …"
        Field("change", "Thay đổi", width="large"),  # in words: "Tiến độ 60% → 80%" (lib/core/changes.py)
        Field("reason", "Ghi chú / lý do", width="medium"),
        Field("row_id", "Mã dòng", "int"),
        Field("row_version", "Phiên bản", "int"),
    ),
)

ENTITIES = {
    e.name: e
    for e in (
        TASK,
        HQ_PROJECT,
        MODEL_WARD,
        YEARLY_REPORT,
        DOCUMENT,
        AGENCY,
        UNIT,
        USER,
        SIGN_IN_LOCK,
        LOGIN_ATTEMPT,
        AUDIT_EVENT,
    )
}


# --- the onboarding import (/nhap-so-theo-doi, `lib.manage import-register`): the template ---------


@dataclass(frozen=True)
class SheetColumn:
    """A column of the register template: what it gives and its header (a catalogue label)."""

    name: str  # a field ("state"), a reference by name ("lead_agency_id", "cooperators"), or "id"
    label: str  # the header
    kind: str = "text"
    help: str = ""  # the line of the template's guide
    xlsx_width: int = 16
    required: bool = False  # a sheet without this column is refused


@dataclass(frozen=True)
class RegisterSheet:
    """A sheet of the register template: its name, the entity its rows become, its columns."""

    title: str
    entity: str
    columns: tuple[SheetColumn, ...]
    help: str = ""

    def __getitem__(self, name: str) -> SheetColumn:
        return next(c for c in self.columns if c.name == name)

    @property
    def required(self) -> tuple[SheetColumn, ...]:
        return tuple(c for c in self.columns if c.required)


def _column(f: Field, name: str = "", help: str = "", required: bool = False) -> SheetColumn:
    return SheetColumn(name or f.name, f.label, f.kind, help or f.help, f.xlsx_width, required)


def _choices_help(f: Field) -> str:
    return "Một trong: " + ", ".join(f.choices.values() if f.choices else ()) + "."


DATE_HELP = "Ngày dạng dd/mm/yyyy, hoặc ô ngày của Excel."
ROW_ID_HELP = "Để trống: dòng mới. Ghi mã (số) của dòng đã có trong hệ thống: cập nhật dòng đó."
LIST_SEPARATOR = ";"  # between the names of several agencies in one cell


def _help(f: Field) -> str:
    if f.kind == "date":
        return DATE_HELP
    if f.kind == "choice":
        return _choices_help(f)
    return f.help


REGISTER_DOCUMENTS = RegisterSheet(
    "Văn bản",
    "document",
    tuple(
        _column(f, help=_help(f), required=f.name == "number")
        for f in DOCUMENT.fields
        if f.parser is not None
    ),
    "Không bắt buộc: các văn bản giao nhiệm vụ chưa có trong hệ thống (văn bản đã có thì bỏ qua).",
)
REGISTER_TASKS = RegisterSheet(
    "Nhiệm vụ",
    "task",
    (
        _column(ID, help=ROW_ID_HELP, required=True),
        _column(
            ASSIGNING_DOCUMENT,
            help="Số, ký hiệu của văn bản giao, ví dụ 30/ĐA-BCA. Văn bản chưa có được tạo mới "
            "(loại, ngày, cơ quan ban hành lấy từ trang “Văn bản” nếu có).",
            required=True,
        ),
        _column(TASK_CONTENT, help="Bắt buộc với dòng mới.", required=True),
        _column(LEAD_AGENCY, help="Tên cơ quan như trong trang “Danh mục”.", required=True),
        _column(COOPERATORS, help=f"Nhiều cơ quan cách nhau bởi dấu {LIST_SEPARATOR}"),
        _column(
            LOCALITY,
            "locality_id",
            help=f"Huyện, thị xã, thành phố (ví dụ Huyện Lục Ngạn). Để trống hoặc “{PROVINCE_LEVEL_LABEL}”: "
            "nhiệm vụ cấp tỉnh, hoặc địa bàn của cơ quan chủ trì nếu đó là UBND cấp huyện.",
        ),
        *(
            _column(TASK[n], help=_help(TASK[n]))
            for n in (
                "original_deadline",
                "current_deadline",
                "extension_doc",
                "state",
                "progress_pct",
                "completed_on",
                "result",
                "result_doc",
                "obstacles",
                "notes",
            )
        ),
    ),
    "Bắt buộc: mỗi dòng một nhiệm vụ của một cơ quan chủ trì.",
)
_UNIT_HELP = "Tên phường, xã, thị trấn (có thể kèm “Phường”, “Xã”), cùng cột Địa bàn."
REGISTER_HQ = RegisterSheet(
    "Dự án trụ sở",
    "hq_project",
    (
        _column(ID, help=ROW_ID_HELP, required=True),
        _column(HQ_PROJECT["unit"], "unit_id", _UNIT_HELP, required=True),
        _column(LOCALITY, "locality_id", "Huyện, thị xã, thành phố của phường, xã."),
        *(_column(f, help=_help(f)) for f in HQ_PROJECT.editable.values()),
    ),
    "Không bắt buộc: dự án trụ sở Công an phường, xã.",
)
REGISTER_WARDS = RegisterSheet(
    "Phường kiểu mẫu",
    "model_ward",
    (
        _column(ID, help=ROW_ID_HELP, required=True),
        _column(MODEL_WARD["unit"], "unit_id", _UNIT_HELP, required=True),
        _column(LOCALITY, "locality_id", "Huyện, thị xã, thành phố của phường."),
        _column(MODEL_WARD["year_registered"], required=True),
        *(_column(f, help=_help(f)) for f in MODEL_WARD.editable.values()),
    ),
    "Không bắt buộc: phường đăng ký xây dựng Công an phường điển hình, kiểu mẫu.",
)
# In the order they are read: documents first, so the tasks find the documents the file adds.
REGISTER_SHEETS = (REGISTER_DOCUMENTS, REGISTER_TASKS, REGISTER_HQ, REGISTER_WARDS)
REGISTER_REQUIRED_SHEET = REGISTER_TASKS
# Sheets of the template that are read past: the guide and the lists of names.
REGISTER_GUIDE, REGISTER_LISTS = "Hướng dẫn", "Danh mục"
