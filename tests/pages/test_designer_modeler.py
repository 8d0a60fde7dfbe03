"""The 流程设计 modeler in Chromium (issue 17 acc. 1, 2, 5): live validation with the server's rules while
editing, deploy from the page, the version diff on the diagram and as a list, no foreign request, axe."""
from sqlalchemy import func, select

from api.extensions import db
from engine.store.models import Definition
from tests.pages.helpers import check_page, foreign_requests, login

KEY = "newborn_gx_qinzhou_qinbei"
CARD = "social_security_card_issue"


def _versions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Definition).where(Definition.key == KEY))


def _select(page, element_id):
    page.fill("#find-element", element_id)
    page.click("#find-go")
    page.wait_for_selector(f'#modeler[data-selected="{element_id}"]')


def _open_group(page, group):
    header = page.locator(f'#properties [data-group-id="group-{group}"] .bio-properties-panel-group-header')
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def _set_extension_property(page, element_id, name, value):
    """The Camunda 7 panel's "Extension properties" group: expand the named entry, type its value."""
    _open_group(page, "CamundaPlatform__ExtensionProperties")
    entry = page.locator(f'#properties [data-entry-id^="{element_id}-extensionProperty-"]'
                         f'.bio-properties-panel-collapsible-entry:has(.bio-properties-panel-collapsible-entry-header-title:text-is("{name}"))')
    value_input = entry.locator('input[id$="-value"]')
    if not value_input.is_visible():
        entry.locator(".bio-properties-panel-collapsible-entry-header").click()
    value_input.fill(value)


def _validated_after(page, previous: str) -> str:
    page.wait_for_function(f"""() => {{ const m = document.getElementById('modeler').dataset;
        return m.validating === 'false' && m.validated && m.validated !== '{previous}'; }}""")
    return page.get_attribute("#modeler", "data-validated")


def test_modeler_checks_the_promise_deploys_and_diffs(app, open_page, requests_seen, page_errors):
    """Seed gx-qinzhou-qinbei (钦北): the promise of 33 working days must cover the critical path
    (出生医学证明 1 + 出生登记 2 + 社会保障卡 30). Raising the card's limit in the properties panel is flagged
    on the card, naming the path, before anything is deployed; lowering it back and moving 受理审查 to
    another department's group deploys version 2, whose diff against version 1 is exactly that group."""
    page = open_page(1400, 900)
    login(page, "admin")
    page.goto("/designer")
    page.wait_for_selector("#region-file option", state="attached")
    page.select_option("#region-file", "gx-qinzhou-qinbei")
    page.click("#open-region")
    page.wait_for_selector("#modeler[data-state=ready]")
    seen = _validated_after(page, "")
    assert page.get_attribute("#modeler", "data-problems") == "0", page.inner_text("#validation")

    _select(page, CARD)
    _set_extension_property(page, CARD, "limitWorkingDays", "31")
    seen = _validated_after(page, seen)
    problem = page.locator('#problems li[data-code="promise_shorter_than_path"]')
    problem.wait_for()
    assert problem.get_attribute("data-element") == CARD
    text = problem.inner_text()
    for step in ("签发出生医学证明（首签）(1)", "办理出生登记(2)", "社会保障卡申领制卡(31)"):
        assert step in text, text
    badge = page.locator(f'#modeler .problem-badge[data-element="{CARD}"][data-code="promise_shorter_than_path"]')
    assert badge.count() == 1 and "关键路径" in badge.get_attribute("title")
    path = problem.get_attribute("data-elements").split()
    assert path[-1] == CARD and len(path) == 3
    assert page.locator("#modeler .djs-element.critical-path").count() == 3
    assert _versions(app) == 1, "validation deployed something"

    _set_extension_property(page, CARD, "limitWorkingDays", "30")
    seen = _validated_after(page, seen)
    _select(page, "acceptance_review")
    _open_group(page, "CamundaPlatform__UserAssignment")
    page.fill("#bio-properties-panel-candidateGroups", "police")
    seen = _validated_after(page, seen)
    assert page.get_attribute("#modeler", "data-problems") == "0", page.inner_text("#validation")
    assert page.locator("#modeler .problem-badge").count() == 0
    page.click("#deploy-modeler")
    page.wait_for_selector("#deploy-result .ok")
    assert "第 2 版" in page.inner_text("#deploy-result")
    page.wait_for_selector(f'#definitions tr[data-key="{KEY}"][data-version="2"]')
    assert _versions(app) == 2

    page.select_option("#diff-key", KEY)
    page.select_option("#diff-from", "1")
    page.select_option("#diff-to", "2")
    page.click("#diff-run")
    page.wait_for_selector("#diff-diagram[data-state=ready]")
    rows = page.locator("#diff-list tr[data-element]")
    assert rows.count() == 1, page.inner_text("#diff-list")
    assert (rows.get_attribute("data-element"), rows.get_attribute("data-change")) == ("acceptance_review", "changed")
    assert rows.locator("li").all_inner_texts() == ["camunda:candidateGroups：health → police"]
    marked = page.locator("#diff-diagram .djs-element.diff-changed, #diff-diagram .djs-element.diff-added")
    assert marked.count() == 1 and marked.get_attribute("data-element-id") == "acceptance_review"

    page.select_option("#move-key", KEY)
    page.click("#move-dry")
    page.wait_for_selector('#move-result p[data-dry-run="true"]')
    assert "0 件运行中" in page.inner_text("#move-result")
    # executing a move asks first (it cannot be undone): dismissed, nothing is sent
    posted, asked = [], []
    page.on("request", lambda r: posted.append(r.post_data_json) if r.url.endswith("/migrations") else None)
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click("#move-run")
    page.wait_for_selector('#move-result p[data-cancelled="true"]')
    assert len(asked) == 1 and "第 1 版" in asked[0] and "不可撤销" in asked[0], asked
    assert posted == []
    page.once("dialog", lambda d: d.accept())
    page.click("#move-run")
    page.wait_for_selector('#move-result p[data-dry-run="false"]')
    assert "已迁移 0 件" in page.inner_text("#move-result")
    assert [body["dry_run"] for body in posted] == [False]

    check_page(page, "designer-modeler")
    assert page_errors == []
    assert foreign_requests(requests_seen) == [], foreign_requests(requests_seen)


def test_a_supervisor_sees_diagrams_and_diffs_of_the_region_but_no_modeler(app, open_page, requests_seen,
                                                                          page_errors):
    page = open_page()
    login(page, "gx-qinzhou-qinbei.supervisor")
    page.goto("/designer")
    page.wait_for_selector("#diagram[data-state=ready] .djs-element")
    assert page.locator("#modeler").count() == 0 and page.locator("#move-dry").count() == 0
    keys = page.eval_on_selector_all("#diff-key option", "ns => ns.map(n => n.value)")
    assert keys == [KEY]
    page.click("#diff-run")
    page.wait_for_selector("#diff-diagram[data-state=ready]")
    assert "0 处变化" in page.inner_text("#diff-list")
    check_page(page, "designer-supervisor")
    assert page_errors == [] and foreign_requests(requests_seen) == []
