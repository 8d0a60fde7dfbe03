"""A Qinbei case through the pages in Chromium: a family applies (errors first, all shown), a hospital
clerk claims and completes the review by keyboard, the worker runs, the family sees 已办结, and a
supervisor sees the overdue task and the diagram with counts once the clock has moved on."""
from tests.api.helpers import User, sample_form, worker_for
from tests.pages.helpers import check_page, foreign_requests, login, press_tab_until

REGION = "gx-qinzhou-qinbei"
WRONG = {"newborn.name": "", "applicant.phone": "12345", "birth.weight_g": 9000,
         "mother.id_number": "450703199503120420"}


def flatten(form, prefix=""):
    for key, value in form.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from flatten(value, path + ".")
        else:
            yield path, value


def fill_field(page, path, value):
    """Type or choose one value the way a person would, by the field's label-bound control."""
    selector = "#f-" + path.replace(".", "__")
    if isinstance(value, list):
        for code in value:
            page.check(f'input[data-path="{path}"][value="{code}"]')
        return
    tag, kind = page.eval_on_selector(selector, "n => [n.tagName, n.type]")
    if tag == "SELECT":
        page.select_option(selector, str(value).lower() if isinstance(value, bool) else str(value))
    elif kind == "datetime-local":
        page.fill(selector, str(value)[:16])
    else:
        page.fill(selector, str(value))


PREFILL_JS = """(values) => {
  for (const [path, value] of values) {
    const id = "f-" + path.replaceAll(".", "__");
    if (Array.isArray(value)) {
      for (const code of value) document.querySelector(`input[data-path="${path}"][value="${code}"]`).checked = true;
      continue;
    }
    const node = document.getElementById(id);
    node.value = typeof value === "boolean" ? String(value) : node.type === "datetime-local" ? value.slice(0, 16) : String(value);
    node.dispatchEvent(new Event("change", {bubbles: true}));
  }
}"""


def prefill(page, form):
    """Test-only shortcut for the many correct values (the schema's controls, set as a person would)."""
    page.evaluate(PREFILL_JS, list(flatten(form)))
    missing = page.evaluate("(ids) => ids.filter((id) => !document.getElementById(id))",
                            ["f-" + p.replace(".", "__") for p, v in flatten(form) if not isinstance(v, list)])
    assert missing == []


def apply_with_errors_then_fixed(page) -> str:
    login(page, f"{REGION}.family")
    page.goto("/family/apply")
    page.select_option("#region", REGION)
    page.click("#show-requirements")
    page.wait_for_selector("#requirements-card:not([hidden])")
    assert "须为婚内生育的新生儿" in page.inner_text("#requirements")
    assert "结婚证" in page.inner_text("#requirements")
    check_page(page, "family-requirements")
    page.click("#start-form")
    page.wait_for_selector("#f-mother__id_number")
    prefill(page, sample_form(REGION))  # the long correct part in one step; the mistakes are typed below
    for path, value in WRONG.items():
        fill_field(page, path, value)
    page.click("#submit-case")
    page.wait_for_selector("#form-errors li")
    summary = page.inner_text("#form-errors")
    listed = page.eval_on_selector_all("#form-errors li", "items => items.map(i => i.dataset.field)")
    for path in WRONG:
        assert path in listed, (path, summary)
        assert page.inner_text(f"#f-{path.replace('.', '__')}-error").strip(), path
    assert f"共有 {len(listed)} 处问题" in summary and len(listed) >= len(WRONG)
    check_page(page, "family-form-errors")
    for path in WRONG:
        fill_field(page, path, dict(flatten(sample_form(REGION)))[path])
    page.click("#submit-case")
    page.wait_for_url("**/family/cases/*")
    page.wait_for_selector("#case-items tr[data-item]")
    assert "未办结" in page.inner_text('#case-items tr[data-item="birth_certificate"]')
    return page.url.rsplit("/", 1)[1]


def clerk_claims_and_completes_by_keyboard(page):
    page.goto("/login")
    press_tab_until(page, "el => el.id === 'username'")
    page.keyboard.type(f"{REGION}.health")
    page.keyboard.press("Tab")
    page.keyboard.type("demo")
    page.keyboard.press("Enter")
    page.wait_for_url("**/clerk")
    page.wait_for_selector("#claimable tr[data-task-id]")
    assert "受理审查" in page.inner_text("#claimable")
    check_page(page, "clerk-inbox")
    press_tab_until(page, "el => el.textContent === '认领'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/clerk/tasks/*")
    page.wait_for_selector("#field-decision")
    page.click("#complete")  # nothing chosen: the API's 422 lands next to the field
    page.wait_for_selector("#field-decision-error:not(:empty)")
    assert "受理结果" in page.inner_text("#field-decision-error")
    check_page(page, "clerk-task")
    page.select_option("#field-decision", "accept")
    page.click("#complete")
    page.wait_for_selector("#flash :text('已完成任务')")


def run_worker_until_birth_certificate(app, case_id):
    client, worker = app.test_client(), worker_for(app)
    family = User(client, f"{REGION}.family")
    for _ in range(10):
        worker.drain()
        items = {i["code"]: i["label"] for i in family.get(f"/api/v1/cases/{case_id}").get_json()["items"]}
        if items["birth_certificate"] == "已办结":
            return
    raise AssertionError(items)


def supervisor_sees_overdue_and_heat_map(page):
    login(page, f"{REGION}.supervisor")
    page.wait_for_selector("#overdue tr[data-case-id]")  # the unreviewed case is past its 33-day promise
    assert "红灯" in page.inner_text("#overdue")
    page.wait_for_selector("#due-soon[data-state=ready]")
    for section in ("#overdue", "#due-soon", "#chart-dept", "#chart-item"):   # absent parts print nothing
        assert "null" not in page.inner_text(section) and "undefined" not in page.inner_text(section), section
    page.wait_for_selector("#diagram[data-overlays] .count-badge")
    assert int(page.get_attribute("#diagram", "data-overlays")) >= 1
    assert page.locator("#diagram .count-badge .overdue-count").count() >= 1
    assert page.get_attribute("#diagram", "data-warnings") == "0"
    page.wait_for_selector("#chart-dept svg rect")
    assert "卫生健康（助产机构）" in page.inner_html("#chart-dept")  # departments by lane code, named
    page.wait_for_selector("#chart-item svg rect")
    assert "other" not in page.inner_text("#chart-item")   # tasks of no item are not an item
    check_page(page, "supervisor-board")


def test_family_clerk_supervisor_in_chromium(app, clock, open_page, requests_seen, page_errors):
    family = open_page()
    try:
        _journey(app, clock, open_page, family)
    finally:
        print("\n".join(page_errors))
    assert page_errors == []
    assert requests_seen and foreign_requests(requests_seen) == []
    assert not any("450703199503120429" in u or "李秀英" in u for u in requests_seen)


def _journey(app, clock, open_page, family):
    case_id = apply_with_errors_then_fixed(family)
    check_page(family, "family-case-submitted")

    clerk_claims_and_completes_by_keyboard(open_page())
    run_worker_until_birth_certificate(app, case_id)

    family.reload()
    family.wait_for_selector('#case-items tr[data-item="birth_certificate"] [data-status="已办结"]')
    assert family.locator('#case-licences tr[data-kind="birth_certificate"]').count() == 1
    family.wait_for_selector("#eval-form")  # every item done: 好差评 is offered
    check_page(family, "family-case-done")
    family.check("#score-5")
    family.fill("#eval-comment", "窗口服务很好")
    family.click("#eval-form button[type=submit]")
    family.wait_for_selector("#evaluated")
    family.goto("/family")
    family.wait_for_selector(f'#cases tr[data-case-id="{case_id}"]')
    check_page(family, "family-cases")

    waiting = User(app.test_client(), f"{REGION}.family").post(  # a second case nobody reviews
        "/api/v1/cases", json={"region": REGION, "items": ["birth_certificate"], "form": sample_form(REGION)})
    assert waiting.status_code == 201, waiting.get_json()
    clock.advance(days=70)
    supervisor_sees_overdue_and_heat_map(open_page())

