"""Load the directive's reference data and the deterministic demo data.

`seed_demo` resets the demo content: the same seed and anchor date always give the same rows,
believable as of 29/11/2026 (progress, completions, extensions, stalled projects).
"""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from lib.core import security
from lib.core.config import PROJECT_ROOT
from lib.core.formatting import fmt_date
from lib.data import audit
from lib.data.db import bump_data_version
from lib.data.models import (
    HQ_STAGES,
    Agency,
    AppMeta,
    AuditEvent,
    Clause,
    Document,
    Duty,
    HqProject,
    Locality,
    ModelWard,
    Task,
    Unit,
    User,
    duty_cooperator,
    task_basis,
    task_cooperator,
)
from lib.ops import directive as d

UNITS_CSV = PROJECT_ROOT / "data" / "units-2024.csv"
DEMO_PASSWORD = "bacgiang2024"
# username, display name, role, locality code
DEMO_ACCOUNTS = (
    ("admin", "Quản trị hệ thống", "admin", None),
    ("vanphong", "Văn phòng Công an tỉnh", "van_phong", None),
    ("lanhdao", "Lãnh đạo UBND tỉnh", "lanh_dao", None),
    ("dp.lucngan", "Điều phối Lục Ngạn", "dieu_phoi", "luc-ngan"),
    ("dp.yendung", "Điều phối Yên Dũng", "dieu_phoi", "yen-dung"),
    ("dp.vietyen", "Điều phối Việt Yên", "dieu_phoi", "viet-yen"),
    ("dp.bacgiang", "Điều phối TP Bắc Giang", "dieu_phoi", "bac-giang"),
)
DEMO_SEED = 2024
DEMO_TODAY = date(2026, 11, 29)
LETTER_DATE = date(2024, 2, 20)
_BECOMES_PHUONG = re.compile(r"became (a )?phường|into phường", re.IGNORECASE)

LOCALITY_EDITOR = {
    "luc-ngan": "dp.lucngan",
    "yen-dung": "dp.yendung",
    "viet-yen": "dp.vietyen",
    "bac-giang": "dp.bacgiang",
}
OBSTACLES = (
    "Chưa bố trí được quỹ đất đủ 500 m² tại vị trí phù hợp.",
    "Nguồn vốn đầu tư công năm nay chưa được giao.",
    "Đang chờ thẩm định hồ sơ dự án.",
    "Vướng mắc giải phóng mặt bằng.",
    "Thiếu biên chế sau sáp nhập đơn vị hành chính.",
)
REPORT_OBSTACLE = "Chưa tổng hợp xong số liệu của các đơn vị trực thuộc."


@dataclass(frozen=True)
class UnitRow:
    locality: str
    name: str
    kind: str
    note: str

    @property
    def becomes_phuong(self) -> bool:
        return self.kind != "phuong" and bool(_BECOMES_PHUONG.search(self.note))


def read_units(path: Path = UNITS_CSV) -> list[UnitRow]:
    """Read the 80 administrative units of the four localities from the reference CSV."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            UnitRow(
                locality=d.LOCALITY_BY_CSV_NAME[row["locality"]],
                name=row["unit_name"],
                kind=row["unit_type"],
                note=row["status_2024_note"],
            )
            for row in csv.DictReader(handle)
        ]


def clear_content(session: Session) -> None:
    """Delete the directive and demo rows, children first; localities stay (users point at them)."""
    for table in (task_cooperator, task_basis, duty_cooperator):
        session.execute(delete(table))
    for model in (Task, Duty, HqProject, ModelWard, Unit, Clause, Agency, Document):
        session.execute(delete(model))


def seed_reference(session: Session) -> None:
    """Insert documents, clauses, localities, units and agencies into empty tables."""
    for order, (code, number, issued_on, label, issuer, title) in enumerate(d.DOCUMENTS):
        session.add(
            Document(
                code=code,
                number=number,
                issued_on=issued_on,
                issued_label=label,
                issuer=issuer,
                title=title,
                kind=d.DOCUMENT_KINDS.get(code, "cong_van"),
                sort_order=order,
            )
        )
    session.flush()
    letter_id = session.scalar(select(Document.id).where(Document.code == d.LETTER))
    assert letter_id is not None
    for order, (code, title, summary) in enumerate(d.CLAUSES):
        session.add(Clause(document_id=letter_id, code=code, title=title, summary=summary, sort_order=order))
    existing = {loc.code: loc for loc in session.scalars(select(Locality))}
    for order, (code, name, kind) in enumerate(d.LOCALITIES):
        loc = existing.get(code) or Locality(code=code)
        loc.name, loc.kind, loc.sort_order = name, kind, order
        session.add(loc)
    session.flush()
    locality_ids = {code: id_ for code, id_ in session.execute(select(Locality.code, Locality.id))}
    for row in read_units():
        session.add(
            Unit(
                locality_id=locality_ids[row.locality],
                name=row.name,
                kind=row.kind,
                becomes_phuong_2025=row.becomes_phuong,
                change_note=row.note,
            )
        )
    for order, (code, name, kind, locality) in enumerate(d.AGENCIES):
        session.add(
            Agency(
                code=code,
                name=name,
                kind=kind,
                sort_order=order,
                locality_id=locality_ids[locality] if locality else None,
            )
        )
    session.flush()


def seed_demo(session: Session, *, seed: int = DEMO_SEED, today: date = DEMO_TODAY) -> None:
    """Reset the database to the deterministic demo content, demo accounts and a fresh trail."""
    bump_data_version(session)
    clear_content(session)
    session.execute(delete(AuditEvent))
    session.execute(update(AppMeta).where(AppMeta.key == audit.AUDIT_SEQ_KEY).values(value=0))
    seed_reference(session)
    rng = random.Random(seed)
    DemoBuilder(session, rng, today).build()
    ensure_demo_accounts(session)
    audit.record(
        session, actor="cli:seed-demo", action="seed_demo", entity="database", reason="Nạp lại dữ liệu mẫu"
    )


def ensure_demo_accounts(session: Session) -> None:
    """Create the demo accounts, or put them back to their demo role, locality and password."""
    stamp = datetime.combine(DEMO_TODAY, time(7))
    password_hash = security.hash_password(DEMO_PASSWORD)  # one hash: the password is public anyway
    localities = {code: id_ for code, id_ in session.execute(select(Locality.code, Locality.id))}
    for username, name, role, locality in DEMO_ACCOUNTS:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, created_at=stamp)
            session.add(user)
        user.display_name, user.role, user.active = name, role, True
        user.locality_id = localities[locality] if locality else None
        user.password_hash, user.password_changed_at, user.updated_at = password_hash, stamp, stamp
    session.flush()


def has_content(session: Session) -> bool:
    """Tell whether the directive's data has been loaded."""
    return bool(session.scalar(select(func.count()).select_from(Document)))


class DemoBuilder:
    def __init__(self, session: Session, rng: random.Random, today: date) -> None:
        self.s = session
        self.rng = rng
        self.today = today
        self.agency = {a.code: a for a in session.scalars(select(Agency))}
        self.clause = {c.code: c for c in session.scalars(select(Clause))}
        self.document = {doc.code: doc for doc in session.scalars(select(Document))}
        self.locality = {loc.code: loc for loc in session.scalars(select(Locality))}

    def build(self) -> None:
        specs: list[tuple[d.TaskTemplate, str, str | None, int | None]] = []
        specs += [(t, agency, None, None) for agency, t in d.PROVINCE_TASKS]
        for loc in d.LOCALITIES:
            specs += [(t, f"ubnd-{loc[0]}", loc[0], None) for t in d.LOCALITY_TASKS]
        for loc_code in d.CLAUSE4_LOCALITIES:
            specs += [(t, f"ubnd-{loc_code}", loc_code, None) for t in d.CLAUSE4_TASKS]
        for year in d.REPORT_YEARS:
            template = d.TaskTemplate("bc", d.report_title(year), d.report_deadline(year), (d.LETTER,))
            specs += [(template, agency, None, year) for agency in d.REPORTING_AGENCIES]
            specs += [(template, f"ubnd-{loc[0]}", loc[0], year) for loc in d.LOCALITIES]
        # A few deadline extensions and one suspended task, so every bucket shows in the demo.
        past = [
            i
            for i, (t, _, _, year) in enumerate(specs)
            if year is None and t.deadline is not None and t.deadline <= self.today
        ]
        picked = self.rng.sample(past, 6)
        modes = {i: "extend" for i in picked[:5]} | {picked[5]: "suspend"}
        for i, (template, agency, locality, report_year) in enumerate(specs):
            self._task(template, agency, locality, report_year, modes.get(i, ""))
        self._hq_projects()
        self.model_wards()
        self.s.flush()

    # --- tasks -------------------------------------------------------------------------
    def _stamp(self, when: date, editor: str) -> tuple[datetime, str]:
        moment = datetime.combine(when, time(8)) + timedelta(minutes=self.rng.randint(0, 9 * 60))
        return moment, editor

    def _task(
        self, t: d.TaskTemplate, agency_code: str, locality: str | None, report_year: int | None, mode: str
    ) -> None:
        rng, today = self.rng, self.today
        assert t.deadline is not None
        editor = LOCALITY_EDITOR[locality] if locality else "vanphong"
        task = Task(
            clause_id=self.clause[t.clause].id,
            document_id=self.clause[t.clause].document_id,
            title=t.title,
            lead_agency_id=self.agency[agency_code].id,
            locality_id=self.locality[locality].id if locality else None,
            original_deadline=t.deadline,
            current_deadline=t.deadline,
            recurrence="hang_nam_15_12" if report_year else "",
            report_year=report_year,
            state="chua_trien_khai",
            progress_pct=0,
        )
        task.cooperators = [self.agency[c] for c in t.cooperators]
        task.basis = [self.document[b] for b in t.basis]
        deadline = t.deadline
        roll = rng.random()
        if mode == "suspend":
            task.state, task.progress_pct = "tam_dung", rng.randint(10, 40)
            task.obstacles = rng.choice(OBSTACLES)
            task.notes = "Tạm dừng chờ ý kiến chỉ đạo của UBND tỉnh."
        elif mode == "extend":
            # An extension granted by the provincial office, recorded with its document.
            new_deadline = deadline + timedelta(days=rng.choice((92, 122, 153, 183, 274)))
            task.current_deadline = new_deadline
            granted = deadline - timedelta(days=rng.randint(3, 20))
            task.extension_doc = f"{rng.randint(100, 990)}/UBND-NC ngày {fmt_date(granted)}"
            self.progress(task, new_deadline, rng.random(), report_year)
        else:
            self.progress(task, deadline, roll, report_year)
        when = task.completed_on or (
            today - timedelta(days=rng.choice((1, 3, 6, 10, 18, 27, 40, 65, 95, 140)))
        )
        task.updated_at, task.updated_by = self._stamp(
            min(when + timedelta(days=rng.randint(0, 2)), today), editor
        )
        self.s.add(task)

    def progress(self, task: Task, deadline: date, roll: float, report_year: int | None) -> None:
        rng, today = self.rng, self.today
        if deadline <= today:
            if roll < 0.64:
                done = deadline - timedelta(days=rng.randint(0, 45 if not report_year else 10))
                self._complete(task, max(done, LETTER_DATE + timedelta(days=10)), report_year)
            elif roll < 0.84:
                done = deadline + timedelta(days=rng.randint(3, 110 if not report_year else 20))
                self._complete(task, min(done, today - timedelta(days=1)), report_year)
            else:
                task.state = "dang_thuc_hien" if rng.random() < 0.85 else "chua_trien_khai"
                task.progress_pct = rng.randint(30, 90) if task.state == "dang_thuc_hien" else 0
                task.obstacles = REPORT_OBSTACLE if report_year else rng.choice(OBSTACLES)
        else:
            remaining = (deadline - today).days
            if remaining < 120 and rng.random() < 0.15:
                self._complete(task, today - timedelta(days=rng.randint(1, 20)), report_year)
            elif remaining > 10 and rng.random() < 0.3:
                task.state, task.progress_pct = "chua_trien_khai", 0
            else:
                task.state = "dang_thuc_hien"
                task.progress_pct = rng.randint(50, 95) if remaining < 90 else rng.randint(10, 70)
                if rng.random() < 0.25 and not report_year:
                    task.obstacles = rng.choice(OBSTACLES)

    def _complete(self, task: Task, on: date, report_year: int | None) -> None:
        rng = self.rng
        task.state, task.progress_pct, task.completed_on = "hoan_thanh", 100, on
        if report_year:
            task.result_doc = f"{rng.randint(20, 480)}/BC-{'CAT' if task.locality_id is None else 'UBND'}"
            task.result = f"Đã gửi báo cáo kết quả năm {report_year} về UBND tỉnh qua Công an tỉnh."
        else:
            kind = rng.choice(("KH", "QĐ", "CV", "BC"))
            task.result_doc = f"{rng.randint(20, 980)}/{kind}-{'CAT' if task.locality_id is None else 'UBND'}"
            task.result = "Đã hoàn thành, có văn bản kết quả kèm theo."

    # --- headquarters ----------------------------------------------------------------------
    def _hq_projects(self) -> None:
        units = self.s.scalars(select(Unit).join(Locality).order_by(Locality.sort_order, Unit.id)).all()
        small_plots = 0
        for unit in units:
            if unit.kind != "phuong" and not unit.becomes_phuong_2025:
                continue
            values, small_plots = self.hq_values(unit, small_plots)
            self.s.add(HqProject(**values))

    def hq_values(self, unit: Unit, small_plots: int) -> tuple[dict[str, Any], int]:
        """Draw one believable headquarters project for a ward; returns its column values and the
        number of undersized plots drawn so far (at most four below the 500 m² floor)."""
        rng, today = self.rng, self.today
        stages = HQ_STAGES
        loc = unit.locality.code
        renovate = loc == "bac-giang" and unit.kind == "phuong" and rng.random() < 0.6
        weights = (1, 2, 3, 4, 2, 2) if loc in ("viet-yen", "bac-giang") else (2, 3, 3, 3, 1, 1)
        stage = rng.choices(stages, weights=weights)[0]
        if renovate:
            stage = rng.choice(stages[2:])
        planned = (rng.randint(100, 120) if renovate else rng.randint(400, 600)) * 10_000_000
        share = {
            "chua_bo_tri_dat": (0.0, 0.0),
            "da_bo_tri_dat": (0.0, 0.2),
            "chuan_bi_dau_tu": (0.1, 0.4),
            "dang_thi_cong": (0.5, 0.9),
            "hoan_thanh": (0.95, 1.0),
            "dua_vao_su_dung": (1.0, 1.0),
        }[stage]
        allocated = round(planned * rng.uniform(*share), -6)
        spent = {
            "chuan_bi_dau_tu": (0.0, 0.1),
            "dang_thi_cong": (0.3, 0.8),
            "hoan_thanh": (0.85, 1.0),
            "dua_vao_su_dung": (1.0, 1.0),
        }.get(stage, (0.0, 0.0))
        disbursed = round(allocated * rng.uniform(*spent), -3)
        land_status = "chua_bo_tri" if stage == "chua_bo_tri_dat" else "da_bo_tri"
        area = None
        if land_status == "da_bo_tri":
            if small_plots < 4 and rng.random() < 0.18:
                area, small_plots = rng.randint(36, 49) * 10, small_plots + 1
            else:
                area = rng.randint(50, 120) * 10
        elif rng.random() < 0.5:
            land_status = "dang_bo_tri"
        started = stage in stages[3:]
        start_on = date(2024, 4, 1) + timedelta(days=rng.randint(0, 540)) if started else None
        if start_on and start_on > today - timedelta(days=60):
            start_on = today - timedelta(days=rng.randint(60, 200))
        base = start_on or date(2025, 3, 1) + timedelta(days=rng.randint(0, 400))
        planned_done = base + timedelta(days=rng.randint(300, 540) if not renovate else rng.randint(120, 200))
        actual_done = None
        if stage in ("hoan_thanh", "dua_vao_su_dung"):
            actual_done = min(planned_done + timedelta(days=rng.randint(-40, 90)), today - timedelta(days=5))
        stalled = stage in ("chuan_bi_dau_tu", "dang_thi_cong") and rng.random() < 0.2
        ago = rng.randint(150, 300) if stalled else rng.randint(1, 75)
        updated_at, updated_by = self._stamp(today - timedelta(days=ago), LOCALITY_EDITOR[loc])
        values = {
            "unit_id": unit.id,
            "kind": "cai_tao" if renovate else "xay_moi",
            "land_status": land_status,
            "land_area_m2": area,
            "stage": stage,
            "funding_source": rng.choices(
                ("ngan_sach_tinh", "ngan_sach_huyen", "hon_hop", "xa_hoi_hoa"), weights=(5, 3, 3, 1)
            )[0],
            "planned_vnd": planned,
            "allocated_vnd": int(allocated),
            "disbursed_vnd": int(disbursed),
            "start_on": start_on,
            "planned_completion_on": planned_done,
            "actual_completion_on": actual_done,
            "notes": "Dự án chậm, chưa có khối lượng mới." if stalled else "",
            "updated_at": updated_at,
            "updated_by": updated_by,
        }
        return values, small_plots

    # --- model wards -----------------------------------------------------------------------
    def model_wards(self) -> None:
        rng = self.rng
        plan = {
            2024: (("bac-giang", "Trần Phú"), ("bac-giang", "Hoàng Văn Thụ"), ("viet-yen", "Bích Động")),
            2025: (
                ("bac-giang", "Ngô Quyền"),
                ("bac-giang", "Thọ Xương"),
                ("bac-giang", "Dĩnh Kế"),
                ("viet-yen", "Nếnh"),
                ("viet-yen", "Quang Châu"),
            ),
        }
        for year, wards in plan.items():
            for loc, name in wards:
                unit = self.s.scalar(
                    select(Unit).join(Locality).where(Locality.code == loc, Unit.name == name)
                )
                assert unit is not None, name
                criteria = rng.randint(19, 22) if year == 2024 else rng.randint(14, 21)
                recognised = criteria == 22
                updated_at, updated_by = self._stamp(
                    self.today - timedelta(days=rng.randint(5, 120)), LOCALITY_EDITOR[loc]
                )
                self.s.add(
                    ModelWard(
                        unit_id=unit.id,
                        year_registered=year,
                        criteria_met=criteria,
                        recognised_decision=f"{rng.randint(1000, 9900)}/QĐ-BCA" if recognised else "",
                        recognised_on=date(2025, 11, rng.randint(3, 28)) if recognised else None,
                        updated_at=updated_at,
                        updated_by=updated_by,
                    )
                )
