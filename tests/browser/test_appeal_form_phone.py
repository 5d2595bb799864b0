"""The villager's appeal form on a 360 px phone (issue 24, point 7).

The photo is the door app's control (a large button, a preview, compressed to a JPEG of at
most 1600 px before sending), and 提交申诉 is on screen from the start, above the tab bar,
with no scrolling. Screenshots go to test-artifacts/appeal-form/.
"""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from PIL import Image

from accounts.models import User
from appeals.models import Appeal
from communities.models import ScoreEvent
from tests import factories
from tests.browser.conftest import watch_csp
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
# Drawn on screen and not covered (by the sticky header, the tab bar): what a thumb can tap.
ON_SCREEN = """(selector) => {
  const el = document.querySelector(selector);
  if (!el || !el.checkVisibility()) return false;
  const r = el.getBoundingClientRect();
  if (r.top < 0 || r.bottom > window.innerHeight || r.height === 0) return false;
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return hit === el || el.contains(hit);
}"""


def big_photo():
    """A 3000×2000 photo of about 4 MB, as a phone's camera takes it."""
    buffer = io.BytesIO()
    Image.effect_noise((3000, 2000), 40).convert("RGB").save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def test_the_photo_is_a_big_button_and_submit_is_on_the_first_screen(
    live_server, transactional_db, world, scoring, browser, artifacts
):
    shots = artifacts / "appeal-form"
    shots.mkdir(exist_ok=True)
    household = world.a_east
    factories.user(username=household.card_number, role=User.Role.VILLAGER, household_=household)
    wrong = ScoreEvent.objects.create(
        household=household,
        item=scoring["litter"],
        points=Decimal("-5"),
        occurred_on=date(2026, 7, 1),
        community=world.east,
        entered_by=world.staff_east,
        note="门口堆放杂物，网格长入户时拍照记录",
    )
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = watch_csp(page)
    try:
        page.goto(f"{live_server.url}/accounts/login/?card={household.card_number}")
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r".*/card/$"))
        page.goto(f"{live_server.url}/appeals/new/event/{wrong.pk}/")

        # No scrolling: 提交申诉 is on screen and not under the tab bar.
        assert page.evaluate("window.scrollY") == 0
        assert page.evaluate(ON_SCREEN, "main .ap-submit"), "提交申诉 is off screen"
        button = page.locator(".photo-field .photo-button")
        assert button.bounding_box()["height"] >= 44
        assert button.bounding_box()["width"] >= 120
        # The bare native input is hidden behind its label.
        assert page.locator("#id_photo").bounding_box()["height"] <= 1
        page.screenshot(path=str(shots / "1-open.png"))

        page.fill("#id_text", "那天是施工队的材料，不是我家堆的")
        original = big_photo()
        page.set_input_files(
            "#id_photo",
            files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": original}],
        )
        page.wait_for_selector("[data-photo-field][data-photo='ready']")
        assert page.locator(".photo-field canvas.photo-preview").is_visible()
        assert "照片已选好" in page.locator("[data-photo-status]").inner_text()
        assert page.evaluate(ON_SCREEN, "main .ap-submit"), "提交申诉 is off screen after the photo"
        page.screenshot(path=str(shots / "2-photo-chosen.png"))

        # What the form will send: the page's own JPEG in place of the camera's file.
        sent = page.evaluate(
            "() => { const f = document.getElementById('id_photo').files[0];"
            " return [f.name, f.type, f.size]; }"
        )
        page.click("main .ap-submit")
        page.wait_for_url(re.compile(r".*/card/.*"))
    finally:
        context.close()
    assert violations == [], violations

    assert sent[:2] == ["photo.jpg", "image/jpeg"]
    assert sent[2] < len(original) / 2
    appeal = Appeal.objects.get(event=wrong)
    with appeal.photo.open("rb") as stored, Image.open(stored) as image:
        assert max(image.size) == 1600
