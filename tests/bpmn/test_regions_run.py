"""Every regional process runs to its end through the real engine: each clerk, family and worker action
is one engine step (``engine.work.runtime.run_step``) that saves the workflow and mirrors it into rows."""
import pytest

from case_run import BpmnError
from diagrams import REGIONS, element_properties, offered_items

QINBEI_ITEMS = offered_items("gx-qinzhou-qinbei")


def all_done(items):
    return {item: "done" for item in items}


# --- every region: the acceptance review ------------------------------------------------

@pytest.mark.parametrize("region", REGIONS)
def test_correct_then_accept_loops_through_supplement(region, run_case, base_data):
    run = run_case(region, base_data(region), answers={
        "acceptance_review": [{"decision": "correct", "materials": ["结婚证"]}, {"decision": "accept"}],
        "supplement": {"supplemented": True}})
    assert run.ended()
    review = [i for i in run.handled if i in ("acceptance_review", "supplement")]
    assert review == ["acceptance_review", "supplement", "acceptance_review"]
    assert run.outcome() == "completed"


@pytest.mark.parametrize("region", REGIONS)
def test_refuse_ends_refused(region, run_case, base_data):
    run = run_case(region, base_data(region), answers={
        "acceptance_review": {"decision": "refuse", "refusal_reason": "非婚内生育"}})
    assert run.ended()
    assert run.handled[-1] == "acceptance_review" and "acceptance_review" not in run.handled[:-1]
    assert run.outcome() == "refused"
    # 河北 (004 五(一)1): the vaccination certificate was handed out at birth; the case records it at filing
    assert run.item_status() == ({"vaccination_certificate": "done"} if region == "he-province" else {})


@pytest.mark.parametrize("region", REGIONS)
def test_process_properties(region):
    [props] = [v for k, v in element_properties(region).items() if k.startswith("newborn_")]
    assert props["region"] == region
    # a promise only where the seed states one, else the operator's internal target (issue 14)
    assert int(props.get("promiseWorkingDays") or props["targetWorkingDays"]) > 0
    assert props["items"]


# --- 钦北 ---------------------------------------------------------------------------------

def test_qinbei_all_items_then_evaluation(run_case, base_data):
    run = run_case("gx-qinzhou-qinbei", base_data("gx-qinzhou-qinbei"))
    assert run.outcome() == "completed"
    assert run.item_status() == all_done(QINBEI_ITEMS)
    done = run.done
    assert done.index("birth_certificate_issue") < done.index("hukou_registration_register")
    assert done.index("hukou_registration_register") < done.index("medical_insurance_enrol")
    assert done.index("hukou_registration_register") < done.index("social_security_card_issue")
    assert done.index("medical_insurance_enrol") < done.index("insurance_payment_notify")
    assert run.handled[-1] == "evaluation_invite"


def test_qinbei_card_does_not_wait_for_insurance(run_case, base_data):
    seen = []

    def check(run):
        open_ids = run.open_ids()
        if "social_security_card_issue" in open_ids and "medical_insurance_enrol" in open_ids:
            seen.append(True)
    run_case("gx-qinzhou-qinbei", base_data("gx-qinzhou-qinbei"), check=check)
    assert seen, "the card and the insurance enrolment should be open at the same time"


@pytest.mark.parametrize("chosen", [
    ["birth_certificate", "hukou_registration"],
    ["hukou_registration", "social_security_card"],     # a certificate issued before: police work at once
    ["medical_insurance"],                                # the child's existing hukou: insurance works at once
    ["social_security_card", "maternity_reimbursement"],
    ["vaccination_certificate", "parenting_guidance"],
    [i for i in QINBEI_ITEMS if i != "hukou_registration"],
])
def test_qinbei_only_chosen_items_run(run_case, base_data, chosen):
    run = run_case("gx-qinzhou-qinbei", base_data("gx-qinzhou-qinbei", items=chosen))
    assert run.outcome() == "completed"
    assert run.item_status() == all_done(chosen)
    item_tasks = {run.props[i]["item"] for i in run.handled if "item" in run.props.get(i, {})}
    assert item_tasks == set(chosen)
    # tax hears of the premium only from an enrolment; the family is asked to rate every case
    assert ("insurance_payment_notify" in run.handled) == ("medical_insurance" in chosen)
    assert run.handled[-1] == "evaluation_invite"


def test_qinbei_chosen_steps_keep_their_order_when_one_between_is_skipped(run_case, base_data):
    """Without 出生登记 the insurance and card still follow the certificate (the chain keeps its order)."""
    chosen = ["birth_certificate", "medical_insurance", "social_security_card"]
    run = run_case("gx-qinzhou-qinbei", base_data("gx-qinzhou-qinbei", items=chosen))
    done = run.done
    assert "hukou_registration_register" not in done
    assert done.index("birth_certificate_done") < done.index("medical_insurance_enrol")
    assert done.index("birth_certificate_done") < done.index("social_security_card_issue")


# --- 四川省 ---------------------------------------------------------------------------------

SC = "sc-province"
SC_ITEMS = offered_items(SC)


@pytest.mark.parametrize("chosen", [
    SC_ITEMS,
    [i for i in SC_ITEMS if i != "maternity_reimbursement"],
    ["social_security_card"],
    ["maternity_reimbursement"],
    ["hukou_registration", "medical_insurance"],
])
def test_sichuan_only_chosen_items_run(run_case, base_data, chosen):
    run = run_case(SC, base_data(SC, items=chosen))
    assert run.outcome() == "completed"
    assert run.item_status() == all_done(chosen)
    item_tasks = {run.props[i]["item"] for i in run.handled if "item" in run.props.get(i, {})}
    assert item_tasks == set(chosen)
    assert "postage_payment" not in run.handled  # 003: postage is paid once, at application (a material)


def test_sichuan_card_waits_for_hukou_and_insurance(run_case, base_data):
    run = run_case(SC, base_data(SC))
    done = run.done
    card = done.index("social_security_card_issue")
    assert done.index("hukou_registration_register") < card and done.index("medical_insurance_enrol") < card


def test_sichuan_maternity_claim_when_not_designated(run_case, base_data):
    run = run_case(SC, base_data(SC, items=["maternity_reimbursement"], designated_hospital=False),
              answers={"maternity_claim": {"reimbursed_amount": 3200}})
    assert "maternity_claim_review" in run.handled and "maternity_reimbursement_settle" not in run.handled
    assert run.item_status() == {"maternity_reimbursement": "done"}


def test_sichuan_without_marriage_licence_stops(run_case, base_data):
    run = run_case(SC, base_data(SC), results={"marriage_licence.check": {
        "marriage_licence_found": False, "stop_reason": "未查询到婚姻电子证照"}})
    assert run.outcome() == "stopped"
    assert run.handled == ["marriage_licence_check"]
    assert run.outcome_reason() == "未查询到婚姻电子证照"


def test_sichuan_hukou_refused_by_bpmn_error(run_case, base_data):
    run = run_case(SC, base_data(SC), results={"hukou_registration.register": BpmnError(
        "hukou_refused", {"hukou_refused": True, "hukou_refusal_reason": "落户地址不符合家庭户要求"})})
    assert run.outcome() == "completed"
    status = run.item_status()
    assert status.pop("hukou_registration") == "refused"
    assert status.pop("social_security_card") == "refused"  # no hukou, no card
    assert status == all_done(set(SC_ITEMS) - {"hukou_registration", "social_security_card"})
    assert "hukou_registration_done" not in run.done
    assert run.item_reason("hukou_registration") == "落户地址不符合家庭户要求"


def test_sichuan_hukou_refused_without_card(run_case, base_data):
    chosen = ["birth_certificate", "hukou_registration"]
    run = run_case(SC, base_data(SC, items=chosen), results={"hukou_registration.register": BpmnError(
        "hukou_refused", {"hukou_refused": True, "hukou_refusal_reason": "非家庭户"})})
    assert run.item_status() == {"birth_certificate": "done", "hukou_registration": "refused"}


# --- 通川, 江津: tests/regions/test_sc_dazhou_tongchuan.py, tests/regions/test_cq_jiangjin.py (HTTP API) ------

# --- 河北 ---------------------------------------------------------------------------------

def test_hebei_prereview_then_family_uploads_hukou_page(run_case, base_data):
    run = run_case("he-province", base_data("he-province"), answers={
        "hukou_prereview": [{"prereview_passed": False, "prereview_remark": "户主页不清晰"}, {"prereview_passed": True}]})
    h = run.handled
    # 004: vaccination recorded at birth (no step); 并联审批: police, hrss and insurance start together
    assert h[:3] == ["acceptance_review", "birth_certificate_issue", "materials_upload"]
    police = [i for i in h[3:] if i in ("hukou_prereview", "materials_reupload", "hukou_page_upload")]
    assert police == ["hukou_prereview", "materials_reupload", "hukou_prereview", "hukou_page_upload"]
    assert set(h[3:]) - set(police) == {"social_security_card_issue", "medical_insurance_enrol"}
    assert run.item_status() == all_done(["birth_certificate", "vaccination_certificate", "hukou_registration",
                                          "medical_insurance", "social_security_card"])
