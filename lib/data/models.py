"""Typed SQLAlchemy models of the directive, its tasks, headquarters and model wards.

Money is whole đồng in 64-bit integers. Timestamps are naive Vietnam local time (UTC+7, no
daylight saving). Every editable row carries a version, raised by one on each save.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TASK_STATES = ("chua_trien_khai", "dang_thuc_hien", "hoan_thanh", "tam_dung", "huy")
LOCALITY_KINDS = ("huyen", "thi_xa", "thanh_pho")
UNIT_KINDS = ("phuong", "xa", "thi_tran")
AGENCY_KINDS = ("cong_an", "so_nganh", "ubnd", "bao_chi")
HQ_KINDS = ("xay_moi", "cai_tao")
LAND_STATUSES = ("chua_bo_tri", "dang_bo_tri", "da_bo_tri")
HQ_STAGES = (
    "chua_bo_tri_dat",
    "da_bo_tri_dat",
    "chuan_bi_dau_tu",
    "dang_thi_cong",
    "hoan_thanh",
    "dua_vao_su_dung",
)
FUNDING_SOURCES = ("ngan_sach_tinh", "ngan_sach_huyen", "ngan_sach_xa", "xa_hoi_hoa", "hon_hop")
ROLES = ("admin", "van_phong", "lanh_dao", "dieu_phoi", "xem")
LOGIN_OUTCOMES = ("success", "failure", "refused")
DOCUMENT_KINDS = (
    "de_an",
    "ke_hoach",
    "cong_van",
    "quyet_dinh",
    "chi_thi",
    "ket_luan",
    "thong_bao",
    "bao_cao",
    "khac",
)
# How often a duty comes back: once, every year, every six months, every quarter, or ongoing.
RECURRENCES = ("mot_lan", "hang_nam", "sau_thang", "hang_quy", "thuong_xuyen")
# Where a headquarters project or a model-ward registration stands as a record: followed, or
# retired (stopped, cancelled, merged into another row). Nothing is ever deleted.
LIFECYCLES = ("active", "stopped", "cancelled", "merged")
# The bodies of the map that change over time, and how one becomes another (a reorganisation).
BODY_KINDS = ("locality", "unit", "agency")
CHANGES = ("same", "merged", "split", "renamed", "moved", "upgraded")
# An arrangement line may also end a body without successor (the district level, 1/7/2025).
LINE_CHANGES = (*CHANGES, "ended")
ARRANGEMENT_STATES = ("draft", "applied")
# What an applied reorganisation passes from an ending body to its successor.
TRANSFER_ENTITIES = ("task", "hq_project", "model_ward", "duty", "user_scope")
# The chase loop (migration 0010). What a focal point asks the office to confirm on a task, and
# where such a request stands; nothing changes the task until the office confirms it.
REQUEST_KINDS = ("hoan_thanh", "tam_dung", "huy", "gia_han")
REQUEST_STATES = ("pending", "confirmed", "returned", "withdrawn")
# Reporting periods (migration 0012): six months, a year, or a quarter; open for entries, then closed.
PERIOD_KINDS = ("nua_nam", "nam", "quy")
PERIOD_STATES = ("open", "closed")
ENTRY_STATES = ("draft", "submitted")
# The rows evidence files, comments and directions attach to.
ATTACHABLE = ("task", "hq_project", "model_ward", "document", "task_request")
COMMENTABLE = ("task", "hq_project", "model_ward")
COMMENT_KINDS = ("comment", "direction")  # a remark, or a leader's direction (ý kiến chỉ đạo)
# What a sign-in lock holds back: a username (from browsers it has not seen), one client (its
# address), or one known browser (its device cookie).
LOCK_KINDS = ("account", "client", "device")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class AppMeta(Base):
    """Key–value facts about the database itself, such as the data version."""

    __tablename__ = "app_meta"
    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Locality(Base):
    __tablename__ = "locality"
    __table_args__ = (CheckConstraint(_in("kind", LOCALITY_KINDS), name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # The days the body exists, both inclusive (None: since before the programme, or still).
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class Unit(Base):
    """A xã, phường or thị trấn while it keeps its name, kind and district.

    A reorganisation that renames, upgrades or moves a unit ends this row and starts its successor,
    so a row's facts hold for its whole validity and a count as of a date reads the rows valid then.
    After 1/7/2025 there is no district: a new unit's `locality_id` is the former district it is
    grouped under for continuity (the one that gave it most of its parts).
    """

    __tablename__ = "unit"
    __table_args__ = (
        UniqueConstraint("locality_id", "kind", "name", "valid_from", name="locality_kind_name"),
        CheckConstraint(_in("kind", UNIT_KINDS), name="kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("locality.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    becomes_phuong_2025: Mapped[bool] = mapped_column(Boolean, default=False)
    change_note: Mapped[str] = mapped_column(Text, default="")
    retired_on: Mapped[date | None] = mapped_column(Date)  # no longer offered for new rows
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    locality: Mapped[Locality] = relationship()


class Agency(Base):
    __tablename__ = "agency"
    __table_args__ = (CheckConstraint(_in("kind", AGENCY_KINDS), name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(150))
    kind: Mapped[str] = mapped_column(String(20))
    locality_id: Mapped[int | None] = mapped_column(ForeignKey("locality.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))  # UBND / Công an of a xã, phường
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    retired_on: Mapped[date | None] = mapped_column(Date)  # no longer offered for new rows
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # For a document's header: the body above it ("Bộ Công an" over a provincial police) and the
    # place its documents are dated from ("Bắc Giang, ngày …").
    superior: Mapped[str] = mapped_column(String(150), default="")
    place: Mapped[str] = mapped_column(String(50), default="")
    # Where reminder letters are emailed (SMTP_URL); "" when the office has none (migration 0010).
    email: Mapped[str] = mapped_column(String(200), default="")


class Document(Base):
    """A document of the programme: the letter, the schemes it rests on, and every later document
    that assigns tasks (plans, follow-up letters, meeting conclusions)."""

    __tablename__ = "document"
    __table_args__ = (CheckConstraint(_in("kind", DOCUMENT_KINDS), name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    number: Mapped[str] = mapped_column(String(50), index=True)  # số/ký hiệu, e.g. 30/ĐA-BCA
    issued_on: Mapped[date | None] = mapped_column(Date)
    issued_label: Mapped[str] = mapped_column(String(30))
    issuer: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)  # trích yếu: what the document is about
    kind: Mapped[str] = mapped_column(String(20), default="cong_van")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(50), default="")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)


class Clause(Base):
    """A numbered instruction of the letter (1–4) or its yearly reporting duty."""

    __tablename__ = "clause"
    __table_args__ = (UniqueConstraint("document_id", "code", name="document_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    code: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(150))
    summary: Mapped[str] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


task_cooperator = Table(
    "task_cooperator",
    Base.metadata,
    Column("task_id", ForeignKey("task.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agency.id"), primary_key=True),
)

duty_cooperator = Table(
    "duty_cooperator",
    Base.metadata,
    Column("duty_id", ForeignKey("duty.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agency.id"), primary_key=True),
)

task_basis = Table(
    "task_basis",
    Base.metadata,
    Column("task_id", ForeignKey("task.id", ondelete="CASCADE"), primary_key=True),
    Column("document_id", ForeignKey("document.id"), primary_key=True, index=True),
)


class Duty(Base):
    """A recurring duty a document gives one addressee (the yearly report before 15/12, a review):
    each period's task is generated from it ahead of time, through `last_year`."""

    __tablename__ = "duty"
    __table_args__ = (
        CheckConstraint(_in("recurrence", RECURRENCES), name="recurrence"),
        CheckConstraint("due_month BETWEEN 1 AND 12 AND due_day BETWEEN 1 AND 31", name="due"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    clause_id: Mapped[int | None] = mapped_column(ForeignKey("clause.id"))
    title: Mapped[str] = mapped_column(Text)  # "{period}" is replaced by the period's label
    lead_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    locality_id: Mapped[int | None] = mapped_column(ForeignKey("locality.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    recurrence: Mapped[str] = mapped_column(String(20))
    due_month: Mapped[int] = mapped_column(Integer)  # the deadline's month within its period's year
    due_day: Mapped[int] = mapped_column(Integer)
    first_year: Mapped[int] = mapped_column(Integer)
    last_year: Mapped[int] = mapped_column(Integer)
    expected_product: Mapped[str] = mapped_column(Text, default="")
    retired_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(50), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)

    cooperators: Mapped[list[Agency]] = relationship(secondary=duty_cooperator)


class Task(Base):
    """One duty the letter gives one addressee, with its deadline and reported progress."""

    __tablename__ = "task"
    __table_args__ = (
        CheckConstraint(_in("state", TASK_STATES), name="state"),
        CheckConstraint("progress_pct BETWEEN 0 AND 100", name="progress_pct"),
        CheckConstraint("version >= 1", name="version"),
        Index("ix_task_locality_deadline", "locality_id", "current_deadline"),
        # What the bucket counts read: a narrow covering index instead of whole rows (migrations 0004,
        # 0009: the unit places a task of a district that ended; the last update dates each place).
        Index(
            "ix_task_buckets",
            "locality_id",
            "unit_id",
            "state",
            "current_deadline",
            "completed_on",
            "clause_id",
            "lead_agency_id",
            "updated_at",
        ),
        Index("ix_task_locality_updated", "locality_id", "updated_at"),
        UniqueConstraint("duty_id", "period", name="duty_period"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    clause_id: Mapped[int | None] = mapped_column(ForeignKey("clause.id"), index=True)
    # The document that assigned the task (Văn bản giao); `basis` lists what it rests on.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), index=True)
    duty_id: Mapped[int | None] = mapped_column(ForeignKey("duty.id"))  # generated from a duty
    period: Mapped[str | None] = mapped_column(String(10))  # the duty's period: 2027, 2027-H1, 2027-Q3
    title: Mapped[str] = mapped_column(Text)
    expected_product: Mapped[str] = mapped_column(Text, default="")
    lead_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    locality_id: Mapped[int | None] = mapped_column(ForeignKey("locality.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    original_deadline: Mapped[date | None] = mapped_column(Date)
    current_deadline: Mapped[date | None] = mapped_column(Date, index=True)
    extension_doc: Mapped[str] = mapped_column(String(200), default="")
    recurrence: Mapped[str] = mapped_column(String(30), default="")  # a generated task: its duty's
    # Legacy: the year of a yearly report written before duties existed (no longer written; such a
    # task is claimed by its duty, lib/ops/duties.py). The year of a duty's task is its `period`.
    report_year: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="chua_trien_khai", index=True)
    progress_pct: Mapped[int] = mapped_column(Integer, default=0)
    completed_on: Mapped[date | None] = mapped_column(Date)
    result: Mapped[str] = mapped_column(Text, default="")
    result_doc: Mapped[str] = mapped_column(String(200), default="")
    obstacles: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # A random key of the form or import that created the row: a resubmission creates nothing.
    creation_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(50), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    clause: Mapped[Clause | None] = relationship()
    document: Mapped[Document | None] = relationship(foreign_keys=[document_id])
    lead_agency: Mapped[Agency] = relationship()
    locality: Mapped[Locality | None] = relationship()
    cooperators: Mapped[list[Agency]] = relationship(secondary=task_cooperator)
    basis: Mapped[list[Document]] = relationship(secondary=task_basis)


class HqProject(Base):
    """A ward-police headquarters project (trụ sở Công an phường): land, stage and money."""

    __tablename__ = "hq_project"
    __table_args__ = (
        CheckConstraint(_in("kind", HQ_KINDS), name="kind"),
        CheckConstraint(_in("land_status", LAND_STATUSES), name="land_status"),
        CheckConstraint(_in("stage", HQ_STAGES), name="stage"),
        CheckConstraint(_in("funding_source", FUNDING_SOURCES), name="funding_source"),
        CheckConstraint(_in("lifecycle", LIFECYCLES), name="lifecycle"),
        CheckConstraint(
            "planned_vnd >= allocated_vnd AND allocated_vnd >= disbursed_vnd AND disbursed_vnd >= 0",
            name="funding_chain",
        ),
        CheckConstraint("version >= 1", name="version"),
        Index("ix_hq_project_unit_updated", "unit_id", "updated_at"),
        # Money sums per locality read this narrow index instead of whole rows (migration 0004).
        Index("ix_hq_project_money", "unit_id", "planned_vnd", "allocated_vnd", "disbursed_vnd"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    land_status: Mapped[str] = mapped_column(String(20))
    land_area_m2: Mapped[int | None] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(30))
    funding_source: Mapped[str] = mapped_column(String(30))
    planned_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    allocated_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    disbursed_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    start_on: Mapped[date | None] = mapped_column(Date)
    planned_completion_on: Mapped[date | None] = mapped_column(Date)
    actual_completion_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    lifecycle: Mapped[str] = mapped_column(String(20), default="active", index=True)
    lifecycle_doc: Mapped[str] = mapped_column(String(200), default="")  # the document that retired it
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("hq_project.id"))
    creation_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(50), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    unit: Mapped[Unit] = relationship()


class ModelWard(Base):
    """A ward registered for the model-ward pilot (Công an phường điển hình, kiểu mẫu)."""

    __tablename__ = "model_ward"
    __table_args__ = (
        UniqueConstraint("unit_id", "year_registered", name="unit_year"),
        CheckConstraint("criteria_met BETWEEN 0 AND 22", name="criteria_met"),
        CheckConstraint(_in("lifecycle", LIFECYCLES), name="lifecycle"),
        CheckConstraint("version >= 1", name="version"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    year_registered: Mapped[int] = mapped_column(Integer)
    criteria_met: Mapped[int] = mapped_column(Integer, default=0)
    recognised_decision: Mapped[str] = mapped_column(String(100), default="")
    recognised_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    lifecycle: Mapped[str] = mapped_column(String(20), default="active", index=True)
    lifecycle_doc: Mapped[str] = mapped_column(String(200), default="")  # the document that retired it
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("model_ward.id"))
    creation_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(50), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    unit: Mapped[Unit] = relationship()


class Arrangement(Base):
    """A reorganisation (sắp xếp): the resolution that orders it and the day it takes effect; its
    lines map old bodies to new ones. Applied once, in one audited transaction."""

    __tablename__ = "arrangement"
    __table_args__ = (CheckConstraint(_in("state", ARRANGEMENT_STATES), name="state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    resolution: Mapped[str] = mapped_column(String(100))  # "NQ 1191/NQ-UBTVQH15"
    resolution_on: Mapped[date | None] = mapped_column(Date)
    effective_on: Mapped[date] = mapped_column(Date, index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(10), default="draft")
    created_by: Mapped[str] = mapped_column(String(50), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    applied_by: Mapped[str] = mapped_column(String(50), default="")
    applied_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    lines: Mapped[list[ArrangementLine]] = relationship(
        back_populates="arrangement", order_by="ArrangementLine.line_no", cascade="all, delete-orphan"
    )


class ArrangementLine(Base):
    """One old → new line of a reorganisation, as entered (names) and as resolved (ids)."""

    __tablename__ = "arrangement_line"
    __table_args__ = (
        UniqueConstraint("arrangement_id", "line_no", name="arrangement_line_no"),
        CheckConstraint(_in("body_kind", BODY_KINDS), name="body_kind"),
        CheckConstraint(_in("change", LINE_CHANGES), name="change"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    arrangement_id: Mapped[int] = mapped_column(ForeignKey("arrangement.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)  # the line of the file it came from
    body_kind: Mapped[str] = mapped_column(String(10))
    old_name: Mapped[str] = mapped_column(String(150))
    old_kind: Mapped[str] = mapped_column(String(20), default="")
    old_locality: Mapped[str] = mapped_column(String(100), default="")
    new_name: Mapped[str] = mapped_column(String(150))
    new_kind: Mapped[str] = mapped_column(String(20), default="")
    new_locality: Mapped[str] = mapped_column(String(100), default="")
    change: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(Text, default="")
    # An agency's stable code, when the file gives it; a split's seat, when the file marks it; a new
    # agency's header (the body above it) and place (migration 0008).
    old_code: Mapped[str] = mapped_column(String(30), default="")
    new_code: Mapped[str] = mapped_column(String(30), default="")
    main: Mapped[bool | None] = mapped_column(Boolean)
    superior: Mapped[str] = mapped_column(String(150), default="")
    place: Mapped[str] = mapped_column(String(50), default="")
    from_id: Mapped[int | None] = mapped_column(Integer)  # the old body, once resolved
    to_id: Mapped[int | None] = mapped_column(Integer)  # the new body, once resolved or created

    arrangement: Mapped[Arrangement] = relationship(back_populates="lines")


class Succession(Base):
    """An ending body and one of its successors. A body split in several has one row per part;
    `main` marks the one that takes what cannot be divided (its history, by default its open rows)."""

    __tablename__ = "succession"
    __table_args__ = (
        UniqueConstraint("body_kind", "from_id", "to_id", name="body_from_to"),
        CheckConstraint(_in("body_kind", BODY_KINDS), name="body_kind"),
        CheckConstraint(_in("change", CHANGES), name="change"),
        Index("ix_succession_to", "body_kind", "to_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    body_kind: Mapped[str] = mapped_column(String(10))
    from_id: Mapped[int] = mapped_column(Integer)
    to_id: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(10))
    effective_on: Mapped[date] = mapped_column(Date)
    main: Mapped[bool] = mapped_column(Boolean, default=True)
    arrangement_id: Mapped[int | None] = mapped_column(ForeignKey("arrangement.id"), index=True)


class Transfer(Base):
    """One field of one row passed to a successor by an applied reorganisation (effective_on):
    before that day the row counts with `old_value`, from it with the row's later values."""

    __tablename__ = "transfer"
    __table_args__ = (
        CheckConstraint(_in("entity", TRANSFER_ENTITIES), name="entity"),
        Index("ix_transfer_row", "entity", "row_id", "field", "effective_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    arrangement_id: Mapped[int] = mapped_column(ForeignKey("arrangement.id"), index=True)
    entity: Mapped[str] = mapped_column(String(20))
    row_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(30))  # locality_id, unit_id, lead_agency_id, agency_id
    old_value: Mapped[int | None] = mapped_column(Integer)
    new_value: Mapped[int | None] = mapped_column(Integer)
    effective_on: Mapped[date] = mapped_column(Date)


class UserScope(Base):
    """One body whose rows a focal point (dieu_phoi) may edit: a former district (locality), a xã or
    phường (unit), or an agency (a department, a police unit, a UBND or Công an of a xã or phường)."""

    __tablename__ = "user_scope"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN locality_id IS NULL THEN 0 ELSE 1 END) + "
            "(CASE WHEN unit_id IS NULL THEN 0 ELSE 1 END) + "
            "(CASE WHEN agency_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_body",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    locality_id: Mapped[int | None] = mapped_column(ForeignKey("locality.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))


class User(Base):
    """A person who signs in. A focal point (dieu_phoi) edits the rows of the bodies of their scope
    (user_scope); `locality_id` is their home district, the default of their filters, if any."""

    __tablename__ = "app_user"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    locality_id: Mapped[int | None] = mapped_column(ForeignKey("locality.id"))
    password_hash: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # Where "what changed since the last meeting" starts for this user (migration 0011); None: a week ago.
    last_meeting_on: Mapped[date | None] = mapped_column(Date)

    locality: Mapped[Locality | None] = relationship()


class AuthSession(Base):
    """One signed-in browser session; its re-login cookie is valid only while this row is."""

    __tablename__ = "auth_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Random handle kept in the browser session's state; chosen before the password is checked,
    # so an interrupted sign-in never leaves a session the browser cannot find.
    browser_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_reason: Mapped[str] = mapped_column(String(50), default="")
    # A one-time code the page hands to the browser, which exchanges it at /auth/cookie for the
    # re-login cookie (set by the server: HttpOnly). Only its digest is kept, for two minutes.
    cookie_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    cookie_code_expires_at: Mapped[datetime | None] = mapped_column(DateTime)


class LoginAttempt(Base):
    """Every sign-in attempt by password, kept for throttling and for the record."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        CheckConstraint(_in("outcome", LOGIN_OUTCOMES), name="outcome"),
        Index("ix_login_attempt_username_at", "username", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime)
    outcome: Mapped[str] = mapped_column(String(10))
    client: Mapped[str] = mapped_column(String(64), default="", index=True)  # address, "local" direct
    device_id: Mapped[int | None] = mapped_column(ForeignKey("trusted_device.id", ondelete="SET NULL"))


class TrustedDevice(Base):
    """A browser a user has signed in on: its device cookie lets the owner in past an account lock."""

    __tablename__ = "trusted_device"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class LoginLock(Base):
    """A username, a client or a known browser refused until a time, after too many failures."""

    __tablename__ = "login_lock"
    __table_args__ = (CheckConstraint(_in("kind", LOCK_KINDS), name="kind"),)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    subject: Mapped[str] = mapped_column(String(100), primary_key=True)  # username, address, device id
    locked_until: Mapped[datetime] = mapped_column(DateTime)


class AuditEvent(Base):
    """Append-only record of every change and refusal; each event hashes the one before it."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity_row", "entity", "row_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(50), index=True)
    action: Mapped[str] = mapped_column(String(30))
    entity: Mapped[str] = mapped_column(String(30))
    row_id: Mapped[int | None] = mapped_column(Integer)
    row_version: Mapped[int | None] = mapped_column(Integer)  # the version this change produced
    locality_id: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(50), default="")
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class TaskRequest(Base):
    """A focal point's request on a task (complete, suspend, cancel, a new deadline), with its reason
    and supporting document; the office confirms it (only then does the task change) or returns it
    with a note. At most one request per task is pending."""

    __tablename__ = "task_request"
    __table_args__ = (
        CheckConstraint(_in("kind", REQUEST_KINDS), name="kind"),
        CheckConstraint(_in("state", REQUEST_STATES), name="state"),
        CheckConstraint("version >= 1", name="version"),
        Index("ix_task_request_task_state", "task_id", "state"),
        Index(
            "uq_task_request_pending",
            "task_id",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"))
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    # What the task would become: the day it was completed and its result, or the new deadline.
    completed_on: Mapped[date | None] = mapped_column(Date)
    result: Mapped[str] = mapped_column(Text, default="")
    new_deadline: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    document: Mapped[str] = mapped_column(String(200), default="")  # số/ký hiệu of the supporting document
    task_version: Mapped[int] = mapped_column(Integer)  # the task's version the request was made on
    requested_by: Mapped[str] = mapped_column(String(50))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[str] = mapped_column(String(50), default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)


class Reminder(Base):
    """A reminder letter (công văn đôn đốc) issued to one addressee, naming its late and due-soon tasks."""

    __tablename__ = "reminder"
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)  # the addressee
    number: Mapped[str] = mapped_column(String(60))  # số và ký hiệu: "125/CAT-PV01"
    issued_on: Mapped[date] = mapped_column(Date)
    signer: Mapped[str] = mapped_column(String(150))
    # As the letter printed them, so it can be downloaded again ("" on letters issued before 0015).
    signer_title: Mapped[str] = mapped_column(String(150), default="", server_default="")
    request: Mapped[str] = mapped_column(Text, default="", server_default="")
    issuer: Mapped[str] = mapped_column(String(150))  # the issuing body on that day
    reply_by: Mapped[date | None] = mapped_column(Date)  # what to send, by when
    emailed_to: Mapped[str] = mapped_column(String(200), default="")
    email_status: Mapped[str] = mapped_column(String(200), default="")  # "", "sent", or why it failed
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ReminderTask(Base):
    """A task a reminder names, as the letter showed it (deadline and days late or left)."""

    __tablename__ = "reminder_task"
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminder.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), primary_key=True, index=True)
    deadline: Mapped[date | None] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)  # days overdue (> 0) or left (<= 0) on the letter's date


class Attachment(Base):
    """An evidence file of a row: its checked type, size and hash; the bytes are in
    `attachment_content`, so listing files never reads them. Removing one keeps the record."""

    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint(_in("entity", ATTACHABLE), name="entity"),
        Index("ix_attachment_entity_row", "entity", "row_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    row_id: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))  # made safe on upload
    kind: Mapped[str] = mapped_column(String(10))  # pdf, jpg, png, docx, xlsx: judged from the content
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), default="")
    uploaded_by: Mapped[str] = mapped_column(String(50))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)
    removed_by: Mapped[str] = mapped_column(String(50), default="")
    removed_at: Mapped[datetime | None] = mapped_column(DateTime)


class AttachmentContent(Base):
    """The bytes of one evidence file, in the shared database (every replica and backup has them)."""

    __tablename__ = "attachment_content"
    attachment_id: Mapped[int] = mapped_column(
        ForeignKey("attachment.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Comment(Base):
    """A remark on a row, or a leader's direction (ý kiến chỉ đạo), with its author and time."""

    __tablename__ = "comment"
    __table_args__ = (
        CheckConstraint(_in("entity", COMMENTABLE), name="entity"),
        CheckConstraint(_in("kind", COMMENT_KINDS), name="kind"),
        Index("ix_comment_entity_row", "entity", "row_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    row_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default="comment")
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Mention(Base):
    """A user named in a comment ("@dp.lucngan"): it waits in their list until they have seen it."""

    __tablename__ = "mention"
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)
    seen_at: Mapped[datetime | None] = mapped_column(DateTime)


class ReportPeriod(Base):
    """A reporting period (kỳ báo cáo) the office opens: its label, span, the day entries are due; closed
    once the office has what it needs."""

    __tablename__ = "report_period"
    __table_args__ = (
        CheckConstraint(_in("kind", PERIOD_KINDS), name="kind"),
        CheckConstraint(_in("state", PERIOD_STATES), name="state"),
        CheckConstraint("starts_on <= ends_on", name="span"),
        CheckConstraint("version >= 1", name="version"),
        UniqueConstraint("label", name="report_period_label"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(100))  # "6 tháng đầu năm 2026", "Năm 2026"
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    due_on: Mapped[date] = mapped_column(Date)  # entries submitted after this day are late
    state: Mapped[str] = mapped_column(String(20), default="open")
    opened_by: Mapped[str] = mapped_column(String(50))
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    closed_by: Mapped[str] = mapped_column(String(50), default="")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class PeriodEntry(Base):
    """An owner's report on one task for one period (bản báo cáo kỳ): a draft until submitted, then frozen."""

    __tablename__ = "period_entry"
    __table_args__ = (
        UniqueConstraint("period_id", "task_id", name="period_entry_task"),
        CheckConstraint(_in("state", ENTRY_STATES), name="state"),
        CheckConstraint("progress_pct BETWEEN 0 AND 100", name="progress_pct"),
        CheckConstraint("version >= 1", name="version"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("report_period.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    result: Mapped[str] = mapped_column(Text, default="")  # what was done in the period
    progress_pct: Mapped[int] = mapped_column(Integer, default=0)  # at the period's end
    obstacles: Mapped[str] = mapped_column(Text, default="")
    proposals: Mapped[str] = mapped_column(Text, default="")  # kiến nghị, đề xuất
    state: Mapped[str] = mapped_column(String(20), default="draft")
    submitted_by: Mapped[str] = mapped_column(String(50), default="")
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # submitted after the period's due day
    updated_by: Mapped[str] = mapped_column(String(50))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class HqProjectYear(Base):
    """A headquarters project's money in one year: the year's capital plan (kế hoạch vốn năm) and what
    was disbursed of it to date; hq_project keeps the running totals."""

    __tablename__ = "hq_project_year"
    __table_args__ = (
        CheckConstraint("plan_vnd >= 0 AND disbursed_vnd >= 0", name="money"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year"),
        CheckConstraint("version >= 1", name="version"),
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("hq_project.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    plan_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    disbursed_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_by: Mapped[str] = mapped_column(String(50), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class PeriodMoney(Base):
    """A project's money of the period's year as it stood when the office closed the period: what a
    report for that period reads, whatever is entered for the year afterwards."""

    __tablename__ = "period_money"
    __table_args__ = (CheckConstraint("plan_vnd >= 0 AND disbursed_vnd >= 0", name="money"),)
    period_id: Mapped[int] = mapped_column(ForeignKey("report_period.id"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("hq_project.id"), primary_key=True)
    plan_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    disbursed_vnd: Mapped[int] = mapped_column(BigInteger, default=0)


class PeriodTask(Base):
    """A task as it stood when the office closed a period (state, deadline, completion, place): what the
    task table of a report for that period counts, whatever is changed, added or cancelled afterwards."""

    __tablename__ = "period_task"
    period_id: Mapped[int] = mapped_column(ForeignKey("report_period.id"), primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), primary_key=True)
    locality_id: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    current_deadline: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)


class ReportDraft(Base):
    """The office's draft of a year-end report, one per year and scope (a locality code, or the
    province's "toan-tinh"); its text lives in its versions, the draft's `version` is the latest one's
    number (the lock a save is checked against)."""

    __tablename__ = "report_draft"
    __table_args__ = (
        UniqueConstraint("year", "scope", name="report_draft_year_scope"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year"),
        CheckConstraint("version >= 1", name="version"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ReportDraftVersion(Base):
    """One saved version of a report draft: its sections' text, who saved it and when; never changed."""

    __tablename__ = "report_draft_version"
    __table_args__ = (
        UniqueConstraint("draft_id", "number", name="report_draft_version_number"),
        CheckConstraint("number >= 1", name="number"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("report_draft.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    general: Mapped[str] = mapped_column(Text, default="")  # Đánh giá chung
    obstacles: Mapped[str] = mapped_column(Text, default="")  # Khó khăn, vướng mắc
    proposals: Mapped[str] = mapped_column(Text, default="")  # Kiến nghị, đề xuất
    outlook: Mapped[str] = mapped_column(Text, default="")  # Phương hướng năm tới
    note: Mapped[str] = mapped_column(String(200), default="")  # "Tạo từ số liệu", "Khôi phục bản 2"
    saved_by: Mapped[str] = mapped_column(String(50))
    saved_at: Mapped[datetime] = mapped_column(DateTime)
