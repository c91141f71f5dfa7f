"""Who may do what: the acting user, role rules, and the refusal every layer can show."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lib.core.scopes import NO_SCOPE, Scope

ADMIN, VAN_PHONG, LANH_DAO, DIEU_PHOI, XEM = "admin", "van_phong", "lanh_dao", "dieu_phoi", "xem"
ROLE_LABELS = {
    ADMIN: "Quản trị hệ thống",
    VAN_PHONG: "Văn phòng Công an tỉnh (cơ quan thường trực)",
    LANH_DAO: "Lãnh đạo",
    DIEU_PHOI: "Cán bộ đầu mối (địa phương, đơn vị, cơ quan)",
    XEM: "Chỉ xem",
}
EDITORS = (ADMIN, VAN_PHONG, DIEU_PHOI)
OFFICE = (ADMIN, VAN_PHONG)  # who keeps the registers: documents, agencies, units; who assigns tasks


# The audit action of a save refused because what it started from was saved over meanwhile.
CONFLICT = "refused_conflict"


class Refused(Exception):
    """An action the actor may not take, or input that cannot be saved; the message is Vietnamese.

    `audit` carries what to record about the refusal once the failed transaction is rolled back.
    """

    def __init__(
        self,
        message: str,
        *,
        entity: str = "",
        row_id: int | None = None,
        locality_id: int | None = None,
        field: str = "",
        action: str = "refused",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.entity = entity
        self.row_id = row_id
        self.locality_id = locality_id
        self.field = field
        self.action = action

    @property
    def conflict(self) -> bool:
        """Refused because someone saved the same thing meanwhile (the user may reload and go on)."""
        return self.action == CONFLICT


class PermissionDenied(Refused):
    """The actor's role or scope does not allow the action."""


OUT_OF_SCOPE = "không thuộc phạm vi bạn phụ trách"  # the words of every refusal for a row out of scope


@dataclass(frozen=True)
class Actor:
    """The signed-in user, as the data layer sees them on every call.

    `locality_id`/`locality_code`: a home district (the default of filters), if any; what a focal
    point may edit is their `scope` (lib/core/scopes.py), read from `user_scope` at every run."""

    user_id: int | None
    username: str
    display_name: str
    role: str
    locality_id: int | None = None
    locality_code: str | None = None
    scope: Scope = NO_SCOPE

    @property
    def can_write(self) -> bool:
        return self.role in EDITORS

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def may_manage_deadlines(self) -> bool:
        return self.role in (ADMIN, VAN_PHONG)

    @property
    def is_focal_point(self) -> bool:
        """A focal point edits the rows of their scope only (every other editor edits everything)."""
        return self.role == DIEU_PHOI

    def may_edit(
        self, locality_id: int | None, unit_id: int | None = None, agency_ids: Iterable[int | None] = ()
    ) -> bool:
        """Tell whether this actor may change a row of this locality (None: province level), unit
        and lead agencies: the office and administrators any, a focal point those of their scope."""
        if self.role in OFFICE:
            return True
        return self.role == DIEU_PHOI and self.scope.covers(locality_id, unit_id, agency_ids)


def system_actor(name: str = "he-thong") -> Actor:
    """An administrator acting from the command line."""
    return Actor(user_id=None, username=f"cli:{name}", display_name="Dòng lệnh", role=ADMIN)


def require_admin(actor: Actor, what: str) -> None:
    """Refuse unless the actor is an administrator."""
    if not actor.is_admin:
        raise PermissionDenied(f"Chỉ quản trị hệ thống mới được {what}.", entity="user")


def require_office(actor: Actor, what: str, entity: str) -> None:
    """Refuse unless the actor is the provincial office or an administrator."""
    if actor.role not in OFFICE:
        raise PermissionDenied(f"Chỉ văn phòng và quản trị hệ thống mới được {what}.", entity=entity)


def require_writer(actor: Actor, entity: str) -> None:
    """Refuse read-only roles any write."""
    if not actor.can_write:
        raise PermissionDenied(
            f"Vai trò “{ROLE_LABELS.get(actor.role, actor.role)}” chỉ được xem, không được sửa dữ liệu.",
            entity=entity,
        )
