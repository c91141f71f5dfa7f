"""The audit trail is a hash chain: a modified, deleted or reordered event is found and named."""

from datetime import datetime

import pytest
from sqlalchemy import delete, select, update

from lib.data import audit
from lib.data.db import transaction
from lib.data.models import AuditEvent

T = datetime(2026, 11, 29, 9, 0)


@pytest.fixture
def trail(engine):
    with transaction(engine, write=True) as s:
        for i in range(5):
            audit.record(
                s,
                actor="dp.lucngan",
                action="update",
                entity="task",
                row_id=10 + i,
                field="progress_pct",
                old=i * 10,
                new=i * 10 + 5,
                at=T,
            )
    with transaction(engine) as s:
        ids = list(s.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
    return engine, ids


def _verify(engine):
    with transaction(engine) as s:
        return audit.verify_chain(s)


def test_an_untouched_trail_verifies(trail):
    engine, _ = trail
    report = _verify(engine)
    assert report.ok and report.events == 5


def test_a_modified_event_is_named(trail):
    engine, ids = trail
    with transaction(engine, write=True) as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == ids[2]).values(new_value="100"))
    report = _verify(engine)
    assert not report.ok and report.first_broken_id == ids[2] and "bị sửa" in report.message


def test_a_deleted_event_is_named(trail):
    engine, ids = trail
    with transaction(engine, write=True) as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id == ids[1]))
    report = _verify(engine)
    assert not report.ok and report.first_broken_id == ids[2]


def test_deleting_the_last_event_is_noticed(trail):
    engine, ids = trail
    with transaction(engine, write=True) as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id == ids[-1]))
    report = _verify(engine)
    assert not report.ok and "đã bị xóa" in report.message


def test_reordered_events_are_named(trail):
    engine, ids = trail
    columns = [c.name for c in AuditEvent.__table__.columns if c.name != "id"]
    with transaction(engine, write=True) as s:
        first, second = (
            s.execute(select(*[AuditEvent.__table__.c[c] for c in columns]).where(AuditEvent.id == i))
            .one()
            ._asdict()
            for i in (ids[1], ids[3])
        )
        s.execute(update(AuditEvent).where(AuditEvent.id == ids[1]).values(hash="swap"))
        s.execute(update(AuditEvent).where(AuditEvent.id == ids[3]).values(**first))
        s.execute(update(AuditEvent).where(AuditEvent.id == ids[1]).values(**second))
    report = _verify(engine)
    assert not report.ok and report.first_broken_id == ids[1]
