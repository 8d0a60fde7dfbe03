"""钦州钦北 (gx-qinzhou-qinbei) true to its seed, shared/seeds/002_bcb030d8b6d9ea02.txt, over HTTP with the
real engine and the in-process department worker (issue 14)."""
import shutil
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from api.cli import initialise
from api.extensions import db
from engine.definitions import latest_for_region
from engine.store.models import Notice, OutboxMessage
from tests.api.helpers import sample_form
from tests.api.region_driver import ACCEPT, RegionDriver

ROOT = Path(__file__).resolve().parents[2]
QB = "gx-qinzhou-qinbei"
ALL = ["birth_certificate", "vaccination_certificate", "hukou_registration", "social_security_card",
       "maternity_reimbursement", "medical_insurance", "parenting_guidance"]


def _errors(body: dict) -> set:
    return {(e["field"], e["code"]) for e in body["errors"]}


def test_parents_id_cards_are_asked_until_data_sharing_verifies_them(app):
    """002 附件2 四、申请材料 (二) 新生儿父母双方有效居民身份证…；注②: 上述材料实现数据共享核验后，不再要求申请人提交。

    The region has not switched data sharing on (process property ``dataSharingVerifies`` empty), so the
    ID cards are a material like any other: missing, the family is told at once and nothing is filed.
    """
    form = sample_form(QB)
    form["attachments"].remove("parents_id_cards")
    driver = RegionDriver(app, QB)
    body = driver.submit(["birth_certificate"], form, expect=422)
    assert _errors(body) == {("attachments.parents_id_cards", "material_missing")}
    assert driver.family.get("/api/v1/cases").get_json()["items"] == []
    told = driver.family.get(f"/api/v1/regions/{QB}/requirements?items=birth_certificate").get_json()
    [cards] = [m for m in told["materials"] if m["code"] == "parents_id_cards"]
    assert cards["shared"] is False
    form["attachments"].append("parents_id_cards")
    driver.submit(["birth_certificate"], form)


def test_once_the_region_verifies_the_id_cards_by_data_sharing_they_are_not_asked(make_app, tmp_path):
    """002 附件2 四、注②: 上述材料实现数据共享核验后，不再要求申请人提交。 — the operator switches it on in the diagram."""
    root = tmp_path / "bpmn"
    shutil.copytree(ROOT / "bpmn" / QB, root / QB)
    path = root / QB / "process.bpmn"
    text = path.read_text("utf-8")
    assert text.count('name="dataSharingVerifies" value=""') == 1
    path.write_text(text.replace('name="dataSharingVerifies" value=""',
                                 'name="dataSharingVerifies" value="parents_id_cards"'), "utf-8")
    app = make_app(BPMN_ROOT=root)
    initialise(app)
    form = sample_form(QB)
    form["attachments"].remove("parents_id_cards")
    driver = RegionDriver(app, QB)
    driver.submit(["birth_certificate"], form)
    told = driver.family.get(f"/api/v1/regions/{QB}/requirements?items=birth_certificate").get_json()
    assert [m["shared"] for m in told["materials"] if m["code"] == "parents_id_cards"] == [True]


def test_bank_fields_required_when_the_maternity_payout_goes_to_a_bank_card(app):
    """002 附件1 生育医疗费用: 生育医疗费用报销(□发放至母亲社会保障卡 □发放至母亲银行卡) 开户行：，银行账号："""
    driver = RegionDriver(app, QB)
    form = sample_form(QB)
    del form["maternity"]["bank_name"], form["maternity"]["account"]
    body = driver.submit(["maternity_reimbursement"], form, expect=422)
    assert _errors(body) == {("maternity.bank_name", "maternity_bank_name_missing"),
                             ("maternity.account", "maternity_bank_account_missing")}
    assert all(e["message"] for e in body["errors"])
    form["maternity"]["payout"] = "social_security_card"  # paid to the mother's card: no bank asked
    driver.submit(["maternity_reimbursement"], form)
    form["maternity"]["payout"] = "bank_card"
    driver.submit(["birth_certificate"], form)  # maternity not chosen: the section's bank does not matter


def test_promise_of_33_working_days_and_each_items_limit_are_printed_and_kept(app):
    """002 六、办结时限: (一) 新生儿出生“一件事”承诺办结时限为33个工作日。(二) 出生医学证明签发1个工作日；预防接种证1；
    出生登记2；生育医疗费用报销15；居民医保登记1；社会保障卡申领30个工作日。"""
    driver = RegionDriver(app, QB)
    driver.submit(ALL, sample_form(QB))
    final = driver.run(ACCEPT)
    assert final["status"] == "completed" and final["promise_working_days"] == 33
    deadline = datetime.fromisoformat(final["deadline"]).date().isoformat()
    response = driver.supervisor.get(f"/api/v1/tasks?case={driver.case_id}&kind=service&state=all&per_page=100")
    limits = {t["item"]: t["limit_working_days"] for t in response.get_json()["items"] if t["item"]}
    assert limits == {"birth_certificate": 1, "vaccination_certificate": 1, "hukou_registration": 2,
                      "maternity_reimbursement": 15, "medical_insurance": 1, "social_security_card": 30,
                      "parenting_guidance": None}
    [notice] = [n for n in final["notices"] if n["kind"] == "acceptance"]
    assert deadline in driver.family.get(notice["html"]).get_data(as_text=True)
    with app.app_context():
        texts = db.session.scalars(select(OutboxMessage.text).where(
            OutboxMessage.case_id == driver.case_id, OutboxMessage.template == "accepted")).all()
    assert len(texts) == 1 and f"承诺于{deadline}前办结" in texts[0]


def test_stubs_go_to_the_police_station_on_the_30th_of_each_quarters_last_month(app):
    """002 附件2 一(二)1(4): 副页由《出生医学证明》签发机构于每季度末月30日移交到所在地派出所存档。

    The deployed diagram carries the schedule the stub hand-over job reads (property ``stubHandover``).
    """
    with app.app_context():
        definition = latest_for_region(db.session, QB)
        assert definition.properties["stubHandover"] == "quarterly:30"
        assert definition.properties["stubHandoverTo"] == "institution"  # 所在地派出所: the issuer's station
        assert definition.properties["promiseWorkingDays"] == "33"
        assert definition.properties.get("dataSharingVerifies", "") == ""


def test_items_are_named_as_the_seed_names_them_in_notices_sms_and_the_case(app):
    """002: 将出生医学证明办理（首签）、预防接种证办理、出生登记、社会保障卡申领… — the family applies for 出生登记 on
    the region's form and reads 出生登记 again in the 受理通知书, in the SMS that it is done and on the case,
    not another region's wording (户口登记)."""
    driver = RegionDriver(app, QB)
    offered = {i["code"]: i["name"] for i in driver.family.get(f"/api/v1/regions/{QB}").get_json()["items"]}
    assert offered["birth_certificate"] == "出生医学证明办理（首签）" and offered["hukou_registration"] == "出生登记"
    driver.submit(["birth_certificate", "hukou_registration"], sample_form(QB))
    case = driver.run(ACCEPT)
    assert {i["code"]: i["name"] for i in case["items"]} == {code: offered[code] for code in ALL}
    assert {lic["kind"]: lic["name"] for lic in case["elicences"]}["hukou_registration"] == "出生登记"
    with app.app_context():
        [notice] = db.session.scalars(select(Notice).where(Notice.case_id == driver.case_id)).all()
        done = db.session.scalars(select(OutboxMessage.text).where(
            OutboxMessage.case_id == driver.case_id, OutboxMessage.template == "item_done")).all()
    assert notice.content["items"] == ["出生医学证明办理（首签）", "出生登记"]
    assert sorted(done) == sorted(f"【新生儿出生一件事】您申请的“{offered[code]}”已办结。"
                                  for code in ("birth_certificate", "hukou_registration"))


def test_a_case_started_over_camunda_rest_names_its_items_as_the_region_does(app):
    """002 (as above): a case an integrator starts on /engine-rest, with no form, still shows 出生登记."""
    from tests.api.helpers import User
    driver = RegionDriver(app, QB)
    admin = User(driver.client, "admin")
    with app.app_context():
        key = latest_for_region(db.session, QB).key
    started = admin.post(f"/engine-rest/process-definition/key/{key}/start", json={
        "businessKey": "rest-1", "variables": {"items": {"type": "Json",
                                                        "value": '["birth_certificate", "hukou_registration"]'}}})
    assert started.status_code == 200, started.get_json()
    case = admin.get(f"/api/v1/cases/{started.get_json()['id']}").get_json()
    assert {i["code"]: i["name"] for i in case["items"]}["hukou_registration"] == "出生登记"
