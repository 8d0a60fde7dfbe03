from datetime import date

import jsonschema
import pytest

from form_helpers import REGIONS, TODAY, add_working_days, all_items, codes


@pytest.mark.parametrize("code", REGIONS)
def test_valid_form_passes(region, valid_form, code):
    form = region(code)
    assert form.validate(valid_form(code), all_items(form), TODAY, add_working_days) == []
    assert form.assess(valid_form(code), all_items(form), TODAY, add_working_days).outcome == "accept"


@pytest.mark.parametrize("code", REGIONS)
def test_json_schema_is_valid_and_agrees(region, valid_form, code):
    schema = region(code).json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(valid_form(code), schema)
    bad = valid_form(code)
    bad["mother"]["id_number"] = "123"
    bad["surprise"] = 1
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(bad))
    assert len(errors) == 2


def test_unknown_field_and_dotted_paths(region, valid_form):
    form = valid_form("gx-qinzhou-qinbei")
    form["mother"]["shoe_size"] = 38
    form["newborn"]["weight"] = 1
    problems = region("gx-qinzhou-qinbei").validate(form, ["birth_certificate"], TODAY, add_working_days)
    assert {(p["field"], p["code"]) for p in problems} == {
        ("mother.shoe_size", "unknown_field"), ("newborn.weight", "unknown_field")}


def test_id_checks_in_form(region, valid_form):
    form = valid_form("he-province")
    form["mother"]["id_number"] = form["father"]["id_number"]        # a man's number
    father = form["father"]["id_number"]
    form["father"]["id_number"] = father[:17] + ("0" if father[17] != "0" else "1")
    form["applicant"]["id_number"] = "45070319950230042X"
    problems = region("he-province").validate(form, ["birth_certificate"], TODAY, add_working_days)
    found = {(p["field"], p["code"]) for p in problems}
    assert ("mother.id_number", "id_sex_mismatch") in found
    assert ("father.id_number", "id_checksum") in found
    assert ("applicant.id_number", "id_birth_date") in found


def test_qinbei_breaks_many_rules_at_once(region, valid_form):
    form = valid_form("gx-qinzhou-qinbei")
    form["applicant"]["relation"] = "father"                 # applicant_not_mother
    form["birth"]["place_type"] = "outside_hospital"         # born_outside_institution
    form["mother"]["hukou_division"] = "511702"              # no_parent_guangxi_hukou (with father)
    form["father"]["hukou_division"] = "130102"
    form["marriage"]["in_marriage"] = False                  # born_outside_marriage
    form["card"]["applied_elsewhere"] = True                 # card_applied_elsewhere
    form["father"]["ethnicity"] = "08"                       # ethnicity_confirmation material
    form["attachments"] = ["household_registers"]            # two materials missing
    form["birth"]["weight_g"] = 9000                          # schema error elsewhere
    form["maternity"]["account"] = "6217000010012345674"     # Luhn
    problems = region("gx-qinzhou-qinbei").validate(form, all_items(region("gx-qinzhou-qinbei")),
                                                    date(2025, 10, 27), add_working_days)
    assert codes(problems) >= {
        "applicant_not_mother", "born_outside_institution", "no_parent_guangxi_hukou",
        "born_outside_marriage", "card_applied_elsewhere", "applied_too_late",
        "birth_weight_range", "bank_card_checksum", "material_missing"}
    missing = {p["field"] for p in problems if p["code"] == "material_missing"}
    # the parents' ID cards are asked: 002 四、注② waives materials only once data sharing verifies them
    assert missing == {"attachments.parents_id_cards", "attachments.marriage_certificate",
                       "attachments.delivery_record", "attachments.ethnicity_confirmation"}
    for problem in problems:
        assert set(problem) == {"field", "code", "message"}


def test_schema_error_does_not_hide_eligibility(region, valid_form):
    form = valid_form("sc-dazhou-tongchuan")
    form["mother"]["phone"] = "12345"
    del form["newborn"]["name"]
    form["hukou"]["division"] = "511703"  # 达川区
    # with the certificate item, its pages travel with the file (001 附件2): no paper missing
    problems = region("sc-dazhou-tongchuan").validate(form, ["birth_certificate", "hukou_registration"], TODAY,
                                                      add_working_days)
    assert codes(problems) == {"mobile_format", "newborn_unnamed", "hukou_outside_district"}


def test_invalid_field_is_not_judged(region, valid_form):
    form = valid_form("sc-dazhou-tongchuan")
    form["newborn"]["name"] = 42
    problems = region("sc-dazhou-tongchuan").validate(form, ["birth_certificate"], TODAY, add_working_days)
    assert codes(problems) == {"invalid_type"}


def test_item_selection_errors(region, valid_form):
    form = region("cq-jiangjin")
    assert codes(form.validate(valid_form("cq-jiangjin"), [], TODAY, add_working_days)) == {"items_empty"}
    problems = form.validate(valid_form("cq-jiangjin"), ["birth_certificate", "social_security_card"],
                             TODAY, add_working_days)
    assert codes(problems) == {"unknown_item"}


def test_section_required_by_item(region, valid_form):
    form = valid_form("sc-province")
    del form["maternity"]
    problems = region("sc-province").validate(form, ["maternity_reimbursement"], TODAY, add_working_days)
    assert ("maternity", "section_required") in {(p["field"], p["code"]) for p in problems}


def test_jiangjin_ethnicity_declaration(region, valid_form):
    form = valid_form("cq-jiangjin")
    form["mother"]["ethnicity"] = "03"
    jiangjin = region("cq-jiangjin")
    items = ["birth_certificate", "hukou_registration"]  # the case issues the certificate the police need (000 三(二)2)
    problems = jiangjin.validate(form, items, TODAY, add_working_days)
    assert [p["field"] for p in problems] == ["attachments.ethnicity_declaration"]
    assert jiangjin.assess(form, items, TODAY, add_working_days).outcome == "correct"
    form["attachments"].append("ethnicity_declaration")
    assert jiangjin.validate(form, items, TODAY, add_working_days) == []
    assert jiangjin.facts(form, items)["ethnicity_differs"] is True


def test_shared_materials_never_missing(region, valid_form):
    form = valid_form("sc-province")
    form["attachments"] = ["application_form", "id_cards", "household_register"]
    problems = region("sc-province").validate(form, ["hukou_registration"], TODAY, add_working_days)
    assert problems == []  # the marriage certificate is checked online


def test_sichuan_rules(region, valid_form):
    sichuan = region("sc-province")
    form = valid_form("sc-province")
    form["birth"]["place_type"] = "on_way_then_hospital"
    assert sichuan.validate(form, all_items(sichuan), TODAY, add_working_days) == []
    form["newborn"]["name"] = "王小宝"
    form["mother"]["insured_division"] = "450703"
    form["birth"]["designated_hospital"] = False
    problems = sichuan.validate(form, all_items(sichuan), TODAY, add_working_days)
    assert codes(problems) == {"surname_not_parents", "mother_not_insured_in_province", "material_missing"}
    from datetime import date
    late = sichuan.validate(valid_form("sc-province"), ["birth_certificate"], date(2026, 9, 27), add_working_days)
    assert codes(late) == {"over_one_year"}


def test_sichuan_birth_outside_hospital_refused(region, valid_form):
    form = valid_form("sc-province")
    form["birth"]["place_type"] = "outside_hospital"
    sichuan = region("sc-province")
    assert sichuan.assess(form, ["birth_certificate"], TODAY, add_working_days).outcome == "refuse"


def test_hebei_parents(region, valid_form):
    form = valid_form("he-province")
    form["father"]["hukou_division"] = "110101"
    form["father"]["ethnicity"] = "02"
    form["hukou"]["household_type"] = "collective"
    form["applicant"]["relation"] = "father"
    form["applicant"]["sex"] = "male"
    form["applicant"]["id_number"] = form["father"]["id_number"]
    hebei = region("he-province")  # 004 一: the five items are one bundle
    problems = hebei.validate(form, all_items(hebei), TODAY, add_working_days)
    assert codes(problems) == {"parents_hukou_outside_province", "parents_ethnicity_differ",
                               "not_family_household", "material_missing"}
    assert {p["field"] for p in problems if p["code"] == "material_missing"} == {
        "attachments.authorisation", "attachments.applicant_id_card"}


def test_hebei_thirty_working_days_over_national_day(region, valid_form):
    from datetime import date, timedelta
    hebei = region("he-province")
    form = valid_form("he-province")  # born 2025-09-26, just before 国庆
    deadline = add_working_days(date(2025, 9, 26), 30)
    assert deadline > date(2025, 9, 26) + timedelta(days=40)
    assert hebei.validate(form, all_items(hebei), date(2025, 10, 31), add_working_days) == []
    assert hebei.validate(form, all_items(hebei), deadline, add_working_days) == []
    late = hebei.validate(form, all_items(hebei), deadline + timedelta(days=1), add_working_days)
    assert codes(late) == {"applied_too_late"}


def test_tongchuan_recipient_must_be_mother(region, valid_form):
    form = valid_form("sc-dazhou-tongchuan")
    form["delivery"]["recipient_relation"] = "father"
    problems = region("sc-dazhou-tongchuan").validate(form, ["birth_certificate"], TODAY, add_working_days)
    assert codes(problems) == {"recipient_not_mother"}


def test_facts(region, valid_form):
    sichuan = region("sc-province")
    facts = sichuan.facts(valid_form("sc-province"), ["social_security_card", "maternity_reimbursement"])
    assert facts["designated_hospital"] is True and facts["card_chosen"] is True
    assert facts["newborn_named"] is True and facts["ethnicity_differs"] is False
    import json
    assert len(json.dumps(facts)) < 500


def test_requirements_and_summary(region):
    qinbei = region("gx-qinzhou-qinbei")
    told = qinbei.requirements(["birth_certificate"])
    assert "card_applied_elsewhere" not in {c["code"] for c in told["conditions"]}
    assert "applied_too_late" in {c["code"] for c in told["conditions"]}
    # 002 四、注②: 上述材料实现数据共享核验后，不再要求申请人提交 — until then every material is asked
    assert not any(m["shared"] for m in told["materials"])
    assert "parents_id_cards" in {m["code"] for m in told["materials"]}
    summary = qinbei.summary()
    assert summary["code"] == "gx-qinzhou-qinbei" and len(summary["items"]) == 7


def test_mask(region, valid_form):
    form = valid_form("gx-qinzhou-qinbei")
    masked = region("gx-qinzhou-qinbei").mask(form)
    number = form["mother"]["id_number"]
    assert masked["mother"]["id_number"] == number[:6] + "********" + number[-4:]
    assert masked["mother"]["phone"] == "138****5678"
    assert masked["hukou"]["householder_id_number"].count("*") == 8
    assert form["mother"]["id_number"] == number  # the original is untouched


def test_qinbei_hukou_without_the_certificate_item_needs_the_certificate_number(region, valid_form):
    """出生登记 alone works from a certificate already issued: the family must give its number."""
    qinbei = region("gx-qinzhou-qinbei")
    form = valid_form("gx-qinzhou-qinbei")
    form["newborn"].pop("birth_certificate_number", None)
    problems = qinbei.validate(form, ["hukou_registration"], TODAY, add_working_days)
    assert ("newborn.birth_certificate_number", "birth_certificate_number_missing") in \
        {(p["field"], p["code"]) for p in problems}
    assert "birth_certificate_number_missing" not in codes(
        qinbei.validate(form, ["birth_certificate", "hukou_registration"], TODAY, add_working_days))
    form["newborn"]["birth_certificate_number"] = "R450123456"
    assert "birth_certificate_number_missing" not in codes(
        qinbei.validate(form, ["hukou_registration"], TODAY, add_working_days))
