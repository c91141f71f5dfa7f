"""Discussion on a row (trao đổi): comments, leaders' directions (ý kiến chỉ đạo) and mentions.

Who may write what: the office and administrators comment on any row and may give a direction;
leaders (lãnh đạo) read everything, so they may comment on any row and give directions; a focal
point comments on the rows of their scope only, never as a direction; a reader writes nothing. A
comment names users as "@username"; every name must be a known user. Pure: no database, no Streamlit.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime

from lib.core.formatting import fmt_int
from lib.core.roles import ADMIN, DIEU_PHOI, LANH_DAO, ROLE_LABELS, VAN_PHONG

COMMENT, DIRECTION = "comment", "direction"
KIND_LABELS = {COMMENT: "Ý kiến trao đổi", DIRECTION: "Ý kiến chỉ đạo"}
MAX_CHARS = 2000
COMMENTERS = (ADMIN, VAN_PHONG, LANH_DAO, DIEU_PHOI)
DIRECTORS = (ADMIN, VAN_PHONG, LANH_DAO)  # who may write a direction
ANYWHERE = (ADMIN, VAN_PHONG, LANH_DAO)  # who may comment on any row, whatever its place
ENTITY_NOUNS = {"task": "nhiệm vụ", "hq_project": "dự án trụ sở", "model_ward": "đăng ký phường kiểu mẫu"}

# "@dp.lucngan" — not inside an e-mail address ("a@b.vn"); a dot or dash closing a sentence is not
# part of the name ("… @dp.lucngan." names dp.lucngan).
_MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9][A-Za-z0-9._-]*)")


def mentioned(body: str) -> list[str]:
    """The usernames named in a comment ("@name"), lower-cased, each once, in order of appearance."""
    names: list[str] = []
    for match in _MENTION.finditer(body):
        name = match.group(1).rstrip(".-_").lower()
        if name and name not in names:
            names.append(name)
    return names


def may_comment(role: str) -> bool:
    """Tell whether a role may write in a discussion at all."""
    return role in COMMENTERS


def may_direct(role: str) -> bool:
    """Tell whether a role may give a direction (ý kiến chỉ đạo)."""
    return role in DIRECTORS


def kinds_for(role: str) -> list[str]:
    """The kinds of comment a role may write (none for a reader)."""
    if not may_comment(role):
        return []
    return [COMMENT, DIRECTION] if may_direct(role) else [COMMENT]


def check_comment(role: str, kind: str, body: str, known: Collection[str]) -> list[str]:
    """The problems of a comment (Vietnamese sentences) from its role, kind, text and the known
    usernames; [] when it may be saved. The row's scope is checked where the row is read."""
    if not may_comment(role):
        return [f"Vai trò “{ROLE_LABELS.get(role, role)}” chỉ được xem, không được viết trao đổi."]
    if kind not in KIND_LABELS:
        return [f"Loại ý kiến chỉ nhận một trong: {', '.join(KIND_LABELS.values())}."]
    if kind == DIRECTION and not may_direct(role):
        return [
            f"Vai trò “{ROLE_LABELS.get(role, role)}” không được ghi ý kiến chỉ đạo; "
            "chỉ lãnh đạo, văn phòng và quản trị hệ thống được ghi."
        ]
    text = body.strip()
    problems: list[str] = []
    if not text:
        problems.append("Nội dung trao đổi không được để trống.")
    elif len(text) > MAX_CHARS:
        problems.append(f"Nội dung dài {fmt_int(len(text))} ký tự, quá {fmt_int(MAX_CHARS)} ký tự cho phép.")
    unknown = [name for name in mentioned(text) if name not in known]
    if unknown:
        problems.append(
            "Không có người dùng " + ", ".join(f"“@{n}”" for n in unknown) + ": kiểm tra lại tên được nhắc."
        )
    return problems


def fmt_when(value: datetime) -> str:
    """A comment's time as dd/mm/yyyy HH:MM."""
    return value.strftime("%d/%m/%Y %H:%M")
