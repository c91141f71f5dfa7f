"""A comment with a mention, in Chromium: the office comments on a task naming "@dp.lucngan"; the
coordinator signs in, finds it in "Việc chờ bạn" on the overview, follows its link, and the task's
detail (opened by the link itself) shows the comment; the mention is then seen."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lib.data.db import make_engine, transaction
from lib.data.models import Comment, Locality, Mention, Task
from tests.support.browser import sign_in, wait_idle
from tests.support.demo import AS_OF

pytestmark = pytest.mark.browser
TEXT = "Đề nghị @dp.lucngan bổ sung biên bản nghiệm thu trước 10/12."


def test_the_office_mentions_a_coordinator_who_finds_and_opens_it(browser, app_server, tmp_path):
    base = app_server()
    engine = make_engine(f"sqlite:///{next(tmp_path.glob('app*.db'))}")
    with transaction(engine) as s:
        task_id, title = s.execute(
            select(Task.id, Task.title)
            .join(Locality, Locality.id == Task.locality_id)
            .where(Locality.code == "luc-ngan")
            .order_by(Task.id)
        ).first()

    office = browser.new_page(viewport={"width": 1400, "height": 1600})
    sign_in(office, base, "vanphong", path=f"/nhiem-vu?ngay={AS_OF.isoformat()}&ma={task_id}")
    wait_idle(office)
    office.locator(f".st-key-tasks_talk_{task_id}_body textarea").fill(TEXT)
    office.get_by_role("button", name="Gửi ý kiến").click()
    expect(office.get_by_text("Đã gửi ý kiến.")).to_be_visible(timeout=30_000)
    with transaction(engine) as s:
        comment = s.scalars(select(Comment)).one()
        mention = s.scalars(select(Mention)).one()
    assert (comment.entity, comment.row_id, comment.author, comment.body) == (
        "task",
        task_id,
        "vanphong",
        TEXT,
    )
    assert (mention.username, mention.seen_at) == ("dp.lucngan", None)

    focal = browser.new_context(viewport={"width": 1400, "height": 1600}).new_page()
    sign_in(focal, base, "dp.lucngan", path=f"/?ngay={AS_OF.isoformat()}")
    waiting = focal.locator(".st-key-overview_talk_box")
    expect(waiting.get_by_text("Việc chờ bạn")).to_be_visible(timeout=30_000)
    link = waiting.get_by_role("link").filter(has_text=title[:40]).first
    expect(link).to_be_visible()
    wait_idle(focal)
    link.click()
    focal.wait_for_url(f"**/nhiem-vu?*ma={task_id}*", timeout=30_000)
    # The detail expander opens by itself from ?ma= (clicking it would close it).
    expect(focal.get_by_text("bổ sung biên bản nghiệm thu trước 10/12", exact=False).first).to_be_visible(
        timeout=30_000
    )
    wait_idle(focal)
    with transaction(engine) as s:
        assert s.scalars(select(Mention)).one().seen_at is not None
    engine.dispose()
