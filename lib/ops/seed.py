"""The deterministic demo: the programme's reference data (lib/ops/programme.py) plus demo values.

`seed_demo` resets the demo content: the same seed and anchor date always give the same rows,
believable as of 29/11/2026 (progress, completions, extensions, stalled projects). The yearly
reports and the reviews are generated from the duties as in production, then given progress.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from lib.core import recurrence, security
from lib.core.formatting import fmt_date
from lib.core.roles import Refused
from lib.data import audit
from lib.data.db import bump_data_version
from lib.data.models import (
    HQ_STAGES,
    Agency,
    AppMeta,
    Arrangement,
    ArrangementLine,
    Attachment,
    AttachmentContent,
    AuditEvent,
    Clause,
    Comment,
    Document,
    Duty,
    HqProject,
    HqProjectYear,
    Locality,
    Mention,
    ModelWard,
    PeriodEntry,
    PeriodMoney,
    PeriodTask,
    Reminder,
    ReminderTask,
    ReportDraft,
    ReportDraftVersion,
    ReportPeriod,
    Succession,
    Task,
    TaskRequest,
    Transfer,
    Unit,
    User,
    UserScope,
    duty_cooperator,
    task_basis,
    task_cooperator,
)
from lib.data.scopes import find_body
from lib.ops import demo_history, programme
from lib.ops import directive as d
from lib.ops.arrangements import REFERENCE_ARRANGEMENTS
from lib.ops.duties import generate_duties
from lib.ops.seed_periods import seed_periods

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
    ("dm.sotaichinh", "Đầu mối Sở Tài chính", "dieu_phoi", None),
    ("dm.nenh", "Đầu mối phường Nếnh, Bích Động", "dieu_phoi", "viet-yen"),
)
# What each demo focal point edits (user_scope): (kind, code or unit name) as `create-user --scope`.
DEMO_SCOPES: dict[str, tuple[tuple[str, str], ...]] = {
    "dp.lucngan": (("locality", "luc-ngan"),),
    "dp.yendung": (("locality", "yen-dung"),),
    "dp.vietyen": (("locality", "viet-yen"),),
    "dp.bacgiang": (("locality", "bac-giang"),),
    "dm.sotaichinh": (("agency", "stc"),),  # a department: the tasks it leads
    # A ward of today (phường Nếnh, formed on 1/7/2025) and its police: their tasks, projects, wards.
    "dm.nenh": (("unit", "Nếnh"), ("agency", "ca-p-nenh")),
}
DEMO_SEED = 2024
DEMO_TODAY = date(2026, 11, 29)
LETTER_DATE = date(2024, 2, 20)

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


def report_result(label: str) -> str:
    """What a report task sent says it did ("năm 2025" → sent the report of 2025)."""
    return f"Đã gửi báo cáo kết quả {label} về UBND tỉnh qua Công an tỉnh."


def clear_content(session: Session) -> None:
    """Delete the programme's and the demo's rows, children first; localities stay (users point at them)."""
    # The chase loop's rows name tasks and other rows: they go first.
    chase: tuple[type[Any], ...] = (
        Mention,
        Comment,
        AttachmentContent,
        Attachment,
        ReminderTask,
        Reminder,
        TaskRequest,
        PeriodEntry,
        PeriodMoney,
        PeriodTask,
        ReportPeriod,
        HqProjectYear,
        ReportDraftVersion,
        ReportDraft,
    )
    for model in chase:
        session.execute(delete(model))
    for table in (task_cooperator, task_basis, duty_cooperator):
        session.execute(delete(table))
    # The reorganisations applied to the map, and scopes pointing at bodies about to go.
    for record in (Transfer, Succession, ArrangementLine, Arrangement):
        session.execute(delete(record))
    session.execute(delete(UserScope).where(UserScope.locality_id.is_(None)))
    for model in (Task, Duty, HqProject, ModelWard, Agency, Unit, Clause, Document):
        session.execute(delete(model))
    # Localities stay, back to the letter's map: those a reorganisation created go unless a user
    # points at them, and the four get their validity again from the reorganisations.
    letter = [code for code, _, _ in d.LOCALITIES]
    used = select(User.locality_id).where(User.locality_id.is_not(None))
    scoped = select(UserScope.locality_id).where(UserScope.locality_id.is_not(None))
    session.execute(
        delete(Locality).where(
            Locality.code.not_in(letter), Locality.id.not_in(used), Locality.id.not_in(scoped)
        )
    )
    session.execute(update(Locality).values(valid_from=None, valid_to=None))


def seed_demo(
    session: Session, *, seed: int = DEMO_SEED, today: date = DEMO_TODAY, history: bool = True
) -> None:
    """Reset the database to the deterministic demo content, demo accounts and a fresh trail: what
    `load-programme` loads (as of the demo's today), with believable progress, projects and wards, and
    (`history`) the recent history that led there — requests, comments, letters. The tests of the
    pages start from the demo without it, so each sees only the requests, comments and letters it makes."""
    bump_data_version(session)
    clear_content(session)
    session.execute(delete(AuditEvent))
    session.execute(update(AppMeta).where(AppMeta.key == audit.AUDIT_SEQ_KEY).values(value=0))
    added = programme.load_reference(session)
    builder = DemoBuilder(session, random.Random(seed), today)
    builder.letter_tasks()
    # The yearly reports and the reviews come from the duties, by the generator production runs.
    generated = generate_duties(session, today, backdate=LETTER_DATE)
    builder.after_generation()
    # The map of 2025: the open rows of the bodies that ended pass to their successors.
    # Each stamped on the morning it took effect, so the trail reads in the demo's time (not the clock's).
    applied: tuple[str, ...] = ()
    for effective_on in sorted(
        {ref.effective_on for ref in REFERENCE_ARRANGEMENTS if ref.effective_on <= today}
    ):
        applied += programme.apply_reference_arrangements(
            session, effective_on, actor="cli:seed-demo", now=datetime.combine(effective_on, time(7))
        )
    programme.record_load(session, programme.Loaded(added, generated, applied))
    ensure_demo_accounts(session)
    # How the rows came to be what they are lately: edits, requests, comments, through the engine.
    if history and today > demo_history.START:
        demo_history.write_history(session, today, LOCALITY_EDITOR, seed=seed)
    seed_periods(session, today)
    if history and today > demo_history.START:  # the office's draft of the year's report, from the periods
        demo_history.write_report_draft(session, today)
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
    named = select(User.username, User.id).where(User.username.in_(list(DEMO_SCOPES)))
    users = {name: user_id for name, user_id in session.execute(named)}
    session.execute(delete(UserScope).where(UserScope.user_id.in_(list(users.values()))))
    for username, bodies in DEMO_SCOPES.items():
        for kind, ref in bodies:
            try:
                body_id = find_body(session, kind, ref, DEMO_TODAY)
            except Refused:  # not on today's map (a database without the 2025 reorganisations)
                try:
                    body_id = find_body(session, kind, ref, LETTER_DATE)
                except Refused:
                    continue
            session.add(UserScope(user_id=users[username], **{f"{kind}_id": body_id}))
    session.flush()


def has_content(session: Session) -> bool:
    """Tell whether the directive's data has been loaded."""
    return bool(session.scalar(select(func.count()).select_from(Document)))


class _Progressing(Protocol):
    """What the demo's dice write: a Task, or the synthetic generator's plain row."""

    state: str
    progress_pct: int
    completed_on: date | None
    result: str
    result_doc: str
    obstacles: str
    locality_id: int | None


class DemoBuilder:
    def __init__(self, session: Session, rng: random.Random, today: date) -> None:
        self.s = session
        self.rng = rng
        self.today = today
        self.agency = {a.code: a for a in session.scalars(select(Agency))}
        self.clause = {c.code: c for c in session.scalars(select(Clause))}
        self.document = {doc.code: doc for doc in session.scalars(select(Document))}
        self.locality = {loc.code: loc for loc in session.scalars(select(Locality))}

    def letter_tasks(self) -> None:
        """The letter's one-off tasks, with a few deadline extensions and one suspended task, so
        every bucket shows in the demo."""
        specs: list[tuple[d.TaskTemplate, str, str | None]] = []
        specs += [(t, agency, None) for agency, t in d.PROVINCE_TASKS]
        for loc in d.LOCALITIES:
            specs += [(t, f"ubnd-{loc[0]}", loc[0]) for t in d.LOCALITY_TASKS]
        for loc_code in d.CLAUSE4_LOCALITIES:
            specs += [(t, f"ubnd-{loc_code}", loc_code) for t in d.CLAUSE4_TASKS]
        past = [i for i, (t, _, _) in enumerate(specs) if t.deadline is not None and t.deadline <= self.today]
        picked = self.rng.sample(past, 6)
        modes = {i: "extend" for i in picked[:5]} | {picked[5]: "suspend"}
        for i, (template, agency, locality) in enumerate(specs):
            task = self._new_task(template, agency, locality)
            self._animate(task, locality, None, modes.get(i, ""))
            self.s.add(task)
        self.s.flush()

    def after_generation(self) -> None:
        """Progress on the generated yearly reports, then projects, model wards, then the reviews."""
        codes = {loc.id: loc.code for loc in self.locality.values()}
        yearly = self.s.scalars(
            select(Task)
            .join(Duty, Duty.id == Task.duty_id)
            .join(Agency, Agency.id == Task.lead_agency_id)
            .where(Duty.recurrence == recurrence.YEARLY)
            .order_by(Task.period, Agency.sort_order, Task.id)
        ).all()
        for task in yearly:
            label = f"năm {recurrence.period_year(task.period or '')}"
            self._animate(task, codes.get(task.locality_id or 0), report_result(label), "")
        self._hq_projects()
        self.model_wards()
        # Drawn last, so the rows above stay what they were before the reviews existed.
        others = self.s.execute(
            select(Task, Duty.expected_product)
            .join(Duty, Duty.id == Task.duty_id)
            .where(Duty.recurrence != recurrence.YEARLY)
            .order_by(Task.current_deadline, Task.id)
        ).all()
        for task, product in others:
            self._animate(task, codes.get(task.locality_id or 0), f"Đã hoàn thành: {product}.", "")
        self.s.flush()

    # --- tasks -------------------------------------------------------------------------
    def _stamp(self, when: date, editor: str) -> tuple[datetime, str]:
        moment = datetime.combine(when, time(8)) + timedelta(minutes=self.rng.randint(0, 9 * 60))
        return moment, editor

    def _new_task(self, t: d.TaskTemplate, agency_code: str, locality: str | None) -> Task:
        assert t.deadline is not None
        task = Task(
            clause_id=self.clause[t.clause].id,
            document_id=self.clause[t.clause].document_id,
            title=t.title,
            lead_agency_id=self.agency[agency_code].id,
            locality_id=self.locality[locality].id if locality else None,
            original_deadline=t.deadline,
            current_deadline=t.deadline,
            state="chua_trien_khai",
            progress_pct=0,
        )
        task.cooperators = [self.agency[c] for c in t.cooperators]
        task.basis = [self.document[b] for b in t.basis]
        return task

    def _animate(self, task: Task, locality: str | None, report: str | None, mode: str) -> None:
        """Give a task believable progress as of today; `report` is the result sentence of a
        report (None for other tasks); `mode` "extend" or "suspend" for the chosen few."""
        rng, today = self.rng, self.today
        editor = LOCALITY_EDITOR[locality] if locality else "vanphong"
        deadline = task.original_deadline
        assert deadline is not None
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
            self.progress(task, new_deadline, rng.random(), report)
        else:
            self.progress(task, deadline, roll, report)
        when = task.completed_on or (
            today - timedelta(days=rng.choice((1, 3, 6, 10, 18, 27, 40, 65, 95, 140)))
        )
        task.updated_at, task.updated_by = self._stamp(
            min(when + timedelta(days=rng.randint(0, 2)), today), editor
        )

    def progress(self, task: _Progressing, deadline: date, roll: float, report: str | None) -> None:
        """Draw a task's state, progress and completion as of today from one roll of the dice;
        `report` is the result sentence of a report task (they are sent closer to the deadline)."""
        rng, today = self.rng, self.today
        if deadline <= today:
            if roll < 0.64:
                done = deadline - timedelta(days=rng.randint(0, 45 if not report else 10))
                self._complete(task, max(done, LETTER_DATE + timedelta(days=10)), report)
            elif roll < 0.84:
                done = deadline + timedelta(days=rng.randint(3, 110 if not report else 20))
                self._complete(task, min(done, today - timedelta(days=1)), report)
            else:
                task.state = "dang_thuc_hien" if rng.random() < 0.85 else "chua_trien_khai"
                task.progress_pct = rng.randint(30, 90) if task.state == "dang_thuc_hien" else 0
                task.obstacles = REPORT_OBSTACLE if report else rng.choice(OBSTACLES)
        else:
            remaining = (deadline - today).days
            if remaining < 120 and rng.random() < 0.15:
                self._complete(task, today - timedelta(days=rng.randint(1, 20)), report)
            elif remaining > 10 and rng.random() < 0.3:
                task.state, task.progress_pct = "chua_trien_khai", 0
            else:
                task.state = "dang_thuc_hien"
                task.progress_pct = rng.randint(50, 95) if remaining < 90 else rng.randint(10, 70)
                if rng.random() < 0.25 and not report:
                    task.obstacles = rng.choice(OBSTACLES)

    def _complete(self, task: _Progressing, on: date, report: str | None) -> None:
        rng = self.rng
        task.state, task.progress_pct, task.completed_on = "hoan_thanh", 100, on
        if report:
            task.result_doc = f"{rng.randint(20, 480)}/BC-{'CAT' if task.locality_id is None else 'UBND'}"
            task.result = report
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
