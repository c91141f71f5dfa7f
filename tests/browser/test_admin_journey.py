"""The administration page in Chromium: picking a user, an agency or a unit shows that one's stored
values (a browser keeps what a box holds under its key, so each is drawn under its own key), the tab
chosen stays chosen, and a form that went through starts empty."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lib.core.roles import DIEU_PHOI, ROLE_LABELS
from lib.data.db import make_engine, transaction
from lib.data.models import Agency, Unit
from tests.support.browser import pick, sign_in, wait_idle

pytestmark = pytest.mark.browser


def _box(page, stem: str):
    """The widget whose key starts with `stem` (its key changes with the values it starts from)."""
    return page.locator(f"[class*='st-key-{stem}']").first


def _tags(page, stem: str):
    """The chosen values of a multiselect (a locator of its tags)."""
    return _box(page, stem).locator(".react-aria-ComboBox [data-tag]")


def _choose(page, stem: str, name: str) -> None:
    pick(page, _box(page, stem), page.get_by_role("option", name=name, exact=True))
    wait_idle(page)
    expect(_box(page, stem).locator("input")).to_have_value(name)


def test_the_admin_page_shows_the_user_or_body_picked(browser, app_server, tmp_path):
    base = app_server()
    engine = make_engine(f"sqlite:///{next(tmp_path.glob('app*.db'))}")
    with transaction(engine) as s:
        provincial = select(Agency.name).where(Agency.retired_on.is_(None), Agency.locality_id.is_(None))
        agencies = list(s.scalars(provincial.order_by(Agency.id)))
        unit = s.scalars(select(Unit.name).where(Unit.retired_on.is_(None)).order_by(Unit.id.desc())).first()
    page = browser.new_page(viewport={"width": 1600, "height": 1400})
    sign_in(page, base, "admin", path="/quan-tri")
    page.get_by_role("tab", name="Sửa người dùng").click()
    wait_idle(page)

    # Users: the role and the scope are the picked user's, and the tab stays on "Sửa người dùng".
    _choose(page, "admin_pick", "dp.lucngan")
    expect(_box(page, "admin_role_role").locator("input")).to_have_value(ROLE_LABELS[DIEU_PHOI])
    expect(_tags(page, "admin_scope_locality")).to_have_text(["Huyện Lục Ngạn (đã kết thúc)"])
    _choose(page, "admin_pick", "dp.yendung")
    expect(page.get_by_role("tab", name="Sửa người dùng")).to_have_attribute("aria-selected", "true")
    expect(_box(page, "admin_pick")).to_be_visible()
    expect(_tags(page, "admin_scope_locality")).to_have_text(["Huyện Yên Dũng (đã kết thúc)"])

    # Agencies: the rename box holds the picked agency's name.
    first = _box(page, "admin_agency_pick").locator("input").input_value()
    expect(_box(page, "admin_agency_rename").locator("input")).to_have_value(first)
    other = next(name for name in agencies if name != first)
    pick(page, _box(page, "admin_agency_pick"), page.get_by_role("option", name=other, exact=True))
    wait_idle(page)
    expect(_box(page, "admin_agency_rename").locator("input")).to_have_value(other)

    # Adding one empties the name box for the next.
    name_box = _box(page, "admin_agency_new_name").locator("input")
    name_box.fill("Sở Y tế")
    page.get_by_role("button", name="Thêm cơ quan").click()
    expect(page.get_by_test_id("stToast").filter(has_text="Đã thêm Sở Y tế.")).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(name_box).to_have_value("")
    with transaction(engine) as s:
        assert s.scalar(select(Agency.id).where(Agency.name == "Sở Y tế")) is not None

    # Units: picking one keeps the tab "Phường, xã, thị trấn" open, with that unit's name.
    page.get_by_role("tab", name="Phường, xã, thị trấn").click()
    wait_idle(page)
    pick(page, _box(page, "admin_unit_pick"), page.get_by_role("option", name=unit).first, typed=unit)
    wait_idle(page)
    expect(page.get_by_role("tab", name="Phường, xã, thị trấn")).to_have_attribute("aria-selected", "true")
    expect(_box(page, "admin_unit_rename").locator("input")).to_have_value(unit)
    page.close()
    engine.dispose()
