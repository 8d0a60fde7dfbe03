"""The five regional processes, each following its seed document in shared/seeds/.

Run `.venv/bin/python tools/bpmn_regions.py [region ...]` to (re)write bpmn/<region>/process.bpmn.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bpmn_gen import Process, acceptance, write  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LANE_NAMES = {
    "applicant": "申请人（新生儿母亲）",
    "health": "助产机构（卫健）",
    "cdc": "接种单位（疾控）",
    "police": "公安派出所",
    "medical_insurance": "医保局",
    "tax": "税务局",
    "hrss": "人社局（社保卡）",
    "service_center": "政务服务中心",
    "post": "邮政",
}


def lanes(*codes, **names):
    return [(c, names.get(c, LANE_NAMES[c])) for c in codes]


def qinbei():
    """钦北: the family ticks any of the 7 items on 附件1; departments work only on the ticked ones.

    Each item is wrapped in an exclusive "chosen?" gateway (`'<item>' in items`, default: skip) and an
    exclusive merge, so every parallel branch still brings exactly one token to the final join.
    The seed's data flow (业务流程 五(三)) stays a chain: certificate → police → (insurance → tax, and hrss).
    An unchosen step in that chain passes at once and the next department works from what already exists,
    as the form implies: police from the certificate number the family writes in the 出生登记 section
    (出生医学证明编号, a certificate issued before), insurance and hrss from the child's existing hukou.
    A chosen later step still waits for a chosen earlier one, so the critical path stays
    certificate 1 + registration 2 + card 30 = 33. The card waits only for police, not for insurance.
    """
    items = ["birth_certificate", "vaccination_certificate", "hukou_registration", "social_security_card",
             "maternity_reimbursement", "medical_insurance", "parenting_guidance"]
    p = Process("newborn_gx_qinzhou_qinbei", "钦北区新生儿出生“一件事”",
                lanes("applicant", "health", "cdc", "police", "medical_insurance", "tax", "hrss", "service_center",
                      health="助产机构“一窗受理”综合窗口（卫健）", cdc="区疾控中心（接种单位）", police="公安钦北分局派出所",
                      medical_insurance="区医保局", tax="税务局", hrss="区人社局",
                      service_center="广西数字政务一体化平台（好差评）"),
                region="gx-qinzhou-qinbei", promiseWorkingDays=33, items=",".join(items))
    gw = acceptance(p, "health")
    p.par("fork_items", "分发各部门并联办理", "health", 4)
    p.flow(gw, "fork_items", "受理", "decision == 'accept'")

    def chosen(item, lane, row, col, merge_lane, merge_col, first, last):
        """`<item>_chosen` → first … last → `<item>_merge`; an unchosen item goes straight to the merge."""
        p.xor(f"{item}_chosen", "已选择该事项？", lane, col, row)
        p.xor(f"{item}_merge", "汇合", merge_lane, merge_col, row)
        p.flow(f"{item}_chosen", first, "已选择", f"'{item}' in items")
        p.flow(f"{item}_chosen", f"{item}_merge", "未选择", default=True, route="under")
        p.flow(last, f"{item}_merge")
        return f"{item}_chosen", f"{item}_merge"

    # certificate → registration → card is the 1 + 2 + 30 = 33 critical path
    p.service("birth_certificate_issue", "签发出生医学证明（首签）", "health", 6, topic="birth_certificate.issue",
              item="birth_certificate", limitWorkingDays=1)
    p.milestone("birth_certificate_done", "出生医学证明已办结", "health", 7, item="birth_certificate")
    p.flow("birth_certificate_issue", "birth_certificate_done")
    cert_in, cert_out = chosen("birth_certificate", "health", 0, 5, "health", 8,
                               "birth_certificate_issue", "birth_certificate_done")
    p.service("hukou_registration_register", "办理出生登记", "police", 10, topic="hukou_registration.register",
              item="hukou_registration", limitWorkingDays=2)
    p.milestone("hukou_registration_done", "出生登记已办结", "police", 11, item="hukou_registration")
    p.flow("hukou_registration_register", "hukou_registration_done")
    hukou_in, hukou_out = chosen("hukou_registration", "police", 0, 9, "police", 12,
                                 "hukou_registration_register", "hukou_registration_done")
    p.par("fork_after_hukou", "推送户籍结果至医保和人社", "police", 13)
    p.service("medical_insurance_enrol", "居民医保参保登记", "medical_insurance", 15, topic="medical_insurance.enrol",
              item="medical_insurance", limitWorkingDays=1)
    p.milestone("medical_insurance_done", "居民医保登记已办结", "medical_insurance", 16, item="medical_insurance")
    # the premium notice belongs to the enrolment: tax hears of it only from insurance
    p.service("insurance_payment_notify", "推送参保信息并通知缴费", "tax", 17, topic="insurance_payment.notify")
    p.chain("medical_insurance_enrol", "medical_insurance_done", "insurance_payment_notify")
    insurance_in, insurance_out = chosen("medical_insurance", "medical_insurance", 0, 14, "tax", 18,
                                         "medical_insurance_enrol", "insurance_payment_notify")
    p.service("social_security_card_issue", "社会保障卡申领制卡", "hrss", 15, topic="social_security_card.issue",
              item="social_security_card", limitWorkingDays=30)
    p.milestone("social_security_card_done", "社会保障卡已办结", "hrss", 16, item="social_security_card")
    p.flow("social_security_card_issue", "social_security_card_done")
    card_in, card_out = chosen("social_security_card", "hrss", 0, 14, "hrss", 18,
                               "social_security_card_issue", "social_security_card_done")
    p.chain("fork_items", cert_in)
    p.chain(cert_out, hukou_in)
    p.chain(hukou_out, "fork_after_hukou")
    p.flow("fork_after_hukou", insurance_in)
    p.flow("fork_after_hukou", card_in)
    ends = [insurance_out, card_out]
    # items that need no other department's result
    for item, lane, row, task_id, name, topic, done_name, props in [
        ("parenting_guidance", "health", 1, "parenting_guidance_register", "科学育儿指导服务登记",
         "parenting_guidance.register", "科学育儿指导已登记", {}),
        ("vaccination_certificate", "cdc", 0, "vaccination_certificate_issue", "办理预防接种证",
         "vaccination_certificate.issue", "预防接种证已办结", {"limitWorkingDays": 1}),
        ("maternity_reimbursement", "medical_insurance", 1, "maternity_reimbursement_settle", "生育医疗费用报销",
         "maternity_reimbursement.settle", "生育医疗费用报销已办结", {"limitWorkingDays": 15}),
    ]:
        p.service(task_id, name, lane, 6, row, topic=topic, item=item, **props)
        p.milestone(f"{item}_done", done_name, lane, 7, row, item=item)
        p.flow(task_id, f"{item}_done")
        first, last = chosen(item, lane, row, 5, lane, 18, task_id, f"{item}_done")
        p.flow("fork_items", first)
        ends.append(last)
    p.par("join_all", "所选事项均已办结", "service_center", 19)
    for last in ends:
        p.flow(last, "join_all", route="across")
    p.service("evaluation_invite", "邀请“好差评”", "service_center", 20, topic="evaluation.invite")
    p.end("end_completed", "“一件事”办结", "service_center", 21)
    p.chain("join_all", "evaluation_invite", "end_completed")
    return "gx-qinzhou-qinbei", p


def jiangjin():
    items = ["vaccination_certificate", "birth_certificate", "hukou_registration", "medical_insurance"]
    # The seed promises "within the promised time" without numbers: these limits are defaults to edit.
    p = Process("newborn_cq_jiangjin", "江津区出生“一件事一次办”",
                lanes("applicant", "health", "cdc", "police", "medical_insurance", "hrss",
                      health="助产机构（代为申请，卫健）", cdc="首针乙肝疫苗接种单位（疾控）", police="区公安局派出所",
                      medical_insurance="区医疗保障局", hrss="户籍所在地社保所"),
                region="cq-jiangjin", promiseWorkingDays=10, items=",".join(items))
    gw = acceptance(p, "health")
    p.service("vaccination_certificate_issue", "发放预防接种证", "cdc", 4, topic="vaccination_certificate.issue",
              item="vaccination_certificate", limitWorkingDays=1)
    p.milestone("vaccination_certificate_done", "预防接种证已办结", "cdc", 5, item="vaccination_certificate")
    p.flow(gw, "vaccination_certificate_issue", "受理", "decision == 'accept'")
    p.flow("vaccination_certificate_issue", "vaccination_certificate_done")
    # the certificate is issued only once the baby has a name
    p.xor("merge_naming", "汇合取名", "health", 6)
    p.xor("named_gateway", "新生儿已取名？", "health", 7)
    p.user("await_newborn_name", "等待新生儿取名", "health", 7, 1, form_key="newborn_naming",
           fields=[("newborn_name", "新生儿姓名", "string"), ("newborn_named", "已取名", "boolean")])
    p.service("birth_certificate_issue", "签发出生医学证明并上传", "health", 8, topic="birth_certificate.issue",
              item="birth_certificate", limitWorkingDays=1)
    p.milestone("birth_certificate_done", "出生医学证明已办结", "health", 9, item="birth_certificate")
    p.chain("vaccination_certificate_done", "merge_naming", "named_gateway")
    p.flow("named_gateway", "birth_certificate_issue", "已取名", "newborn_named == True")
    p.flow("named_gateway", "await_newborn_name", "未取名", default=True)
    p.flow("await_newborn_name", "merge_naming")
    p.flow("birth_certificate_issue", "birth_certificate_done")
    p.xor("ethnicity_gateway", "父母民族不一致？", "police", 10)
    p.user("ethnicity_review", "审核民族成份填报申请", "police", 11, 1, form_key="ethnicity_review",
           fields=[("newborn_ethnicity", "新生儿民族成份", "string")], item="hukou_registration", limitWorkingDays=1)
    p.xor("merge_ethnicity", "汇合民族成份审核", "police", 12)
    p.service("hukou_registration_register", "办理出生登记（上传新生儿户口证明）", "police", 13,
              topic="hukou_registration.register", item="hukou_registration", limitWorkingDays=3)
    p.milestone("hukou_registration_done", "出生登记已办结", "police", 14, item="hukou_registration")
    p.flow("birth_certificate_done", "ethnicity_gateway")
    p.flow("ethnicity_gateway", "ethnicity_review", "民族不一致", "ethnicity_differs == True")
    p.flow("ethnicity_gateway", "merge_ethnicity", "民族一致", default=True)
    p.chain("ethnicity_review", "merge_ethnicity", "hukou_registration_register", "hukou_registration_done")
    p.service("medical_insurance_receive", "接收公安推送并转社保所", "medical_insurance", 15,
              topic="medical_insurance.receive", item="medical_insurance", limitWorkingDays=1)
    p.service("medical_insurance_enrol", "城乡居民医保参保登记", "hrss", 16, topic="medical_insurance.enrol",
              item="medical_insurance", limitWorkingDays=2)
    p.service("medical_insurance_close", "办结并通知申请人", "medical_insurance", 17, topic="medical_insurance.close",
              item="medical_insurance", limitWorkingDays=1)
    p.milestone("medical_insurance_done", "医保参保登记已办结", "medical_insurance", 18, item="medical_insurance")
    p.end("end_completed", "“出生一件事”办结", "medical_insurance", 19)
    p.chain("hukou_registration_done", "medical_insurance_receive", "medical_insurance_enrol", "medical_insurance_close",
            "medical_insurance_done", "end_completed")
    return "cq-jiangjin", p


def tongchuan():
    items = ["birth_certificate", "vaccination_certificate", "hukou_registration", "medical_insurance",
             "insurance_payment", "social_security_card"]
    p = Process("newborn_sc_dazhou_tongchuan", "通川区“新生儿出生一件事”联办",
                lanes("applicant", "health", "service_center", "tax", "post",
                      health="助产机构联办窗口（卫健）", service_center="区行政审批局政务服务大厅", tax="税务局",
                      post="邮政"),
                region="sc-dazhou-tongchuan", promiseWorkingDays=10, items=",".join(items))
    gw = acceptance(p, "health")
    p.user("verify_parents", "核实父母身份信息", "health", 4, form_key="parents_identity_check",
           fields=[("parents_identity_confirmed", "父母身份已核实", "boolean")])
    p.flow(gw, "verify_parents", "受理", "decision == 'accept'")
    p.par("fork_certificates", "当场办理两证", "health", 5)
    p.service("birth_certificate_issue", "当场发放出生医学证明", "health", 6, topic="birth_certificate.issue",
              item="birth_certificate", limitWorkingDays=1)
    p.milestone("birth_certificate_done", "出生医学证明已办结", "health", 7, item="birth_certificate")
    p.service("vaccination_certificate_issue", "当场发放预防接种证", "health", 6, 1, topic="vaccination_certificate.issue",
              item="vaccination_certificate", limitWorkingDays=1)
    p.milestone("vaccination_certificate_done", "预防接种证已办结", "health", 7, 1, item="vaccination_certificate")
    p.par("join_certificates", "两证已发放", "health", 8)
    p.user("hand_over_file", "移交材料至政务服务大厅", "health", 9, form_key="file_handover",
           fields=[("handover_date", "移交日期", "date")], limitWorkingDays=1)
    p.chain("verify_parents", "fork_certificates", "birth_certificate_issue", "birth_certificate_done", "join_certificates")
    p.chain("fork_certificates", "vaccination_certificate_issue", "vaccination_certificate_done", "join_certificates")
    p.flow("join_certificates", "hand_over_file")
    p.user("hall_receive", "大厅接收联办材料", "service_center", 10, form_key="hall_receipt",
           fields=[("materials_complete", "材料齐全", "boolean")])
    p.service("hukou_registration_register", "户口登记", "service_center", 11, topic="hukou_registration.register",
              item="hukou_registration", limitWorkingDays=2)
    p.milestone("hukou_registration_done", "户口登记已办结", "service_center", 12, item="hukou_registration")
    p.par("fork_hall", "参保与社保卡并联办理", "service_center", 13)
    p.service("medical_insurance_enrol", "城乡居民医保参保登记", "service_center", 14, topic="medical_insurance.enrol",
              item="medical_insurance", limitWorkingDays=1)
    p.milestone("medical_insurance_done", "医保参保登记已办结", "service_center", 15, item="medical_insurance")
    p.service("insurance_payment_notify", "推送缴费信息并发送缴费指南", "tax", 16, topic="insurance_payment.notify",
              item="insurance_payment", limitWorkingDays=1)
    p.milestone("insurance_payment_done", "医保缴费指南已送达", "tax", 17, item="insurance_payment")
    p.service("social_security_card_issue", "社会保障卡申领", "service_center", 14, 1, topic="social_security_card.issue",
              item="social_security_card", limitWorkingDays=5)
    p.milestone("social_security_card_done", "社会保障卡已办结", "service_center", 15, 1, item="social_security_card")
    p.par("join_hall", "大厅事项办结", "service_center", 18)
    p.chain("hand_over_file", "hall_receive", "hukou_registration_register", "hukou_registration_done", "fork_hall")
    p.chain("fork_hall", "medical_insurance_enrol", "medical_insurance_done", "insurance_payment_notify",
            "insurance_payment_done", "join_hall")
    p.chain("fork_hall", "social_security_card_issue", "social_security_card_done", "join_hall")
    p.xor("delivery_gateway", "送达方式？", "service_center", 19)
    p.service("delivery_post", "邮政寄递证件", "post", 20, topic="delivery.post")
    p.user("hand_over_results", "通知现场领取并发放证件", "service_center", 20, form_key="results_handover",
           fields=[("collected_by", "领取人", "string")])
    p.xor("merge_delivery", "汇合送达", "service_center", 21)
    p.end("end_completed", "联办办结", "service_center", 22)
    p.flow("join_hall", "delivery_gateway")
    p.flow("delivery_gateway", "delivery_post", "邮寄", "delivery_by_post == True")
    p.flow("delivery_gateway", "hand_over_results", "现场领取", default=True)
    p.flow("delivery_post", "merge_delivery")
    p.flow("hand_over_results", "merge_delivery")
    p.flow("merge_delivery", "end_completed")
    return "sc-dazhou-tongchuan", p


def sichuan():
    items = ["birth_certificate", "vaccination_certificate", "hukou_registration", "medical_insurance",
             "social_security_card", "parenting_guidance", "maternity_reimbursement"]
    p = Process("newborn_sc_province", "四川省“新生儿出生一件事”",
                lanes("applicant", "service_center", "health", "cdc", "police", "medical_insurance", "hrss",
                      service_center="四川省一体化政务服务平台", health="助产机构（卫健）", cdc="接种单位（疾控）",
                      police="户籍地公安派出所", medical_insurance="医保局", hrss="户籍地人社局（社保卡）"),
                region="sc-province", promiseWorkingDays=25, items=",".join(items))
    p.start("start", "提交新生儿出生“一件事”申请", "service_center", 0)
    p.service("marriage_licence_check", "在线核验婚姻电子证照", "service_center", 1, topic="marriage_licence.check")
    p.xor("marriage_gateway", "婚姻电子证照存在？", "service_center", 2)
    p.end("end_stopped", "无婚姻电子证照，申请终止", "service_center", 3, caseOutcome="stopped",
          reasonVariable="stop_reason")
    p.chain("start", "marriage_licence_check", "marriage_gateway")
    p.flow("marriage_gateway", "end_stopped", "未查到", default=True)
    gw = acceptance(p, "health", col=2, entry=("marriage_gateway", "merge_review", "已查到",
                                                "marriage_licence_found == True"))
    p.par("fork_items", "省平台分发各部门并联办理", "health", 6)
    p.flow(gw, "fork_items", "受理", "decision == 'accept'")

    def optional_item(item, lane, row, first, last):
        """chosen? → first … last → merge; unchosen items skip straight to the merge."""
        p.xor(f"{item}_chosen", "已选择该事项？", lane, 7, row)
        p.xor(f"{item}_merge", "汇合", lane, 10 if item != "maternity_reimbursement" else 12, row)
        p.flow("fork_items", f"{item}_chosen")
        p.flow(f"{item}_chosen", first, "已选择", f"'{item}' in items")
        p.flow(f"{item}_chosen", f"{item}_merge", "未选择", default=True)
        p.flow(last, f"{item}_merge")
        return f"{item}_merge"

    def simple_item(item, lane, row, task_id, name, topic, done_name, **props):
        p.service(task_id, name, lane, 8, row, topic=topic, item=item, **props)
        p.milestone(f"{item}_done", done_name, lane, 9, row, item=item)
        p.flow(task_id, f"{item}_done")
        return optional_item(item, lane, row, task_id, f"{item}_done")

    ends = [
        simple_item("birth_certificate", "health", 0, "birth_certificate_issue", "签发出生医学证明（电子证照推送医保、公安）",
                    "birth_certificate.issue", "出生医学证明已办结"),
        simple_item("parenting_guidance", "health", 1, "parenting_guidance_register", "社区卫生服务中心确认育儿指导登记",
                    "parenting_guidance.register", "科学育儿指导已登记"),
        simple_item("vaccination_certificate", "cdc", 0, "vaccination_certificate_issue", "办理预防接种证",
                    "vaccination_certificate.issue", "预防接种证已办结"),
    ]
    hukou_merge = simple_item("hukou_registration", "police", 0, "hukou_registration_register", "办理出生登记",
                              "hukou_registration.register", "出生登记已办结", limitWorkingDays=3)
    p.boundary_error("hukou_refused_event", "不予登记", "hukou_registration_register", "hukou_refused", "出生登记不予办理")
    p.milestone("hukou_registration_refused", "出生登记不予办理", "police", 9, 1, item="hukou_registration",
                status="refused", reason="hukou_refusal_reason")
    p.chain("hukou_refused_event", "hukou_registration_refused", hukou_merge)
    insurance_merge = simple_item("medical_insurance", "medical_insurance", 0, "medical_insurance_enrol",
                                  "城乡居民医保参保登记（推送税务）", "medical_insurance.enrol", "医保参保登记已办结",
                                  limitWorkingDays=1)
    # maternity: settled at discharge in a designated hospital, otherwise a claim of 20 working days
    p.xor("maternity_way", "定点医疗机构出院直接结算？", "medical_insurance", 8, 1)
    p.service("maternity_reimbursement_settle", "出院直接结算生育医疗费用", "medical_insurance", 9, 1,
              topic="maternity_reimbursement.settle", item="maternity_reimbursement")
    p.user("maternity_claim_review", "审核生育医疗费用报销申请", "medical_insurance", 9, 2, form_key="maternity_claim",
           fields=[("reimbursed_amount", "报销金额（元）", "long")], item="maternity_reimbursement", limitWorkingDays=20)
    p.xor("maternity_way_merge", "汇合结算方式", "medical_insurance", 10, 1)
    p.milestone("maternity_reimbursement_done", "生育医疗费用报销已办结", "medical_insurance", 11, 1,
                item="maternity_reimbursement")
    p.flow("maternity_way", "maternity_reimbursement_settle", "定点医院出院结算", "designated_hospital == True")
    p.flow("maternity_way", "maternity_claim_review", "事后申请报销", default=True)
    p.chain("maternity_reimbursement_settle", "maternity_way_merge", "maternity_reimbursement_done")
    p.flow("maternity_claim_review", "maternity_way_merge")
    ends.append(optional_item("maternity_reimbursement", "medical_insurance", 1, "maternity_way",
                              "maternity_reimbursement_done"))
    # the card only after hukou and insurance; unchosen ones pass at once (hrss pulls the existing hukou)
    p.par("join_before_card", "户口登记与参保登记已完成", "hrss", 11)
    p.flow(hukou_merge, "join_before_card")
    p.flow(insurance_merge, "join_before_card")
    p.xor("card_chosen", "办理社会保障卡？", "hrss", 12)
    p.user("postage_payment", "扫码支付社保卡邮费", "applicant", 13, group="applicant", form_key="postage_payment",
           fields=[("postage_paid", "已支付邮费", "boolean")], item="social_security_card")
    p.service("social_security_card_issue", "社保卡审核、银行开户、制卡并寄递", "hrss", 14,
              topic="social_security_card.issue", item="social_security_card", limitWorkingDays=15)
    p.milestone("social_security_card_done", "社会保障卡已办结", "hrss", 15, item="social_security_card")
    p.milestone("social_security_card_refused", "户口未登记，社保卡不予办理", "hrss", 13, 1, item="social_security_card",
                status="refused", reason="hukou_refusal_reason")
    p.xor("social_security_card_merge", "汇合", "hrss", 16)
    p.flow("join_before_card", "card_chosen")
    p.flow("card_chosen", "social_security_card_merge", "未选择", "'social_security_card' not in items")
    p.flow("card_chosen", "social_security_card_refused", "出生登记不予办理",
           "'hukou_registration' in items and hukou_refused == True")
    p.flow("card_chosen", "postage_payment", "办理", default=True)
    p.chain("postage_payment", "social_security_card_issue", "social_security_card_done", "social_security_card_merge")
    p.flow("social_security_card_refused", "social_security_card_merge")
    ends.append("social_security_card_merge")
    p.par("join_all", "所选事项均已办结", "service_center", 17)
    p.end("end_completed", "“一件事”办结", "service_center", 18)
    for merge in ends:
        p.flow(merge, "join_all")
    p.flow("join_all", "end_completed")
    return "sc-province", p


def hebei():
    items = ["birth_certificate", "vaccination_certificate", "hukou_registration", "medical_insurance",
             "social_security_card"]
    p = Process("newborn_he_province", "河北省新生儿出生“一件事一次办”",
                lanes("applicant", "health", "cdc", "police", "hrss", "medical_insurance",
                      health="医疗保健机构（卫健）", cdc="医疗保健机构接种室（疾控）", police="公安派出所",
                      hrss="人力资源社会保障部门", medical_insurance="医疗保障部门"),
                region="he-province", promiseWorkingDays=6, items=",".join(items))
    gw = acceptance(p, "health")
    p.service("vaccination_certificate_issue", "接种卡介苗、乙肝疫苗并发放接种证", "cdc", 4,
              topic="vaccination_certificate.issue", item="vaccination_certificate", limitWorkingDays=1)
    p.milestone("vaccination_certificate_done", "预防接种证已办结", "cdc", 5, item="vaccination_certificate")
    p.service("birth_certificate_issue", "开具出生医学证明", "health", 6, topic="birth_certificate.issue",
              item="birth_certificate", limitWorkingDays=1)
    p.milestone("birth_certificate_done", "出生医学证明已办结", "health", 7, item="birth_certificate")
    p.xor("merge_upload", "汇合材料上传", "health", 8)
    p.user("materials_upload", "指导上传户口簿、结婚证及出生医学证明副联", "health", 9, form_key="materials_upload",
           fields=[("materials_uploaded", "材料已上传冀时办", "boolean")])
    p.user("hukou_prereview", "出生落户预审", "police", 10, form_key="hukou_prereview",
           fields=[("prereview_passed", "预审通过", "boolean"), ("prereview_remark", "预审意见", "string", None, False)],
           item="hukou_registration", limitWorkingDays=2)
    p.xor("prereview_gateway", "预审通过？", "police", 11)
    p.user("hukou_page_upload", "领取并上传新生儿户口页", "applicant", 12, group="applicant",
           form_key="hukou_page_upload", fields=[("hukou_page_uploaded", "已上传户口页", "boolean")],
           item="hukou_registration")
    p.milestone("hukou_registration_done", "户口登记已办结", "applicant", 13, item="hukou_registration")
    p.flow(gw, "vaccination_certificate_issue", "受理", "decision == 'accept'")
    p.chain("vaccination_certificate_issue", "vaccination_certificate_done", "birth_certificate_issue",
            "birth_certificate_done", "merge_upload", "materials_upload", "hukou_prereview", "prereview_gateway")
    p.flow("prereview_gateway", "hukou_page_upload", "预审通过", "prereview_passed == True")
    p.flow("prereview_gateway", "merge_upload", "退回补传材料", default=True)
    p.flow("hukou_page_upload", "hukou_registration_done")
    p.par("fork_after_hukou", "推送人社、医保并联审核", "police", 14)
    p.service("social_security_card_issue", "社会保障卡审核制卡", "hrss", 15, topic="social_security_card.issue",
              item="social_security_card", limitWorkingDays=2)
    p.milestone("social_security_card_done", "社会保障卡已办结", "hrss", 16, item="social_security_card")
    p.service("medical_insurance_enrol", "城乡居民参保登记", "medical_insurance", 15, topic="medical_insurance.enrol",
              item="medical_insurance", limitWorkingDays=2)
    p.milestone("medical_insurance_done", "参保登记已办结（医保电子凭证）", "medical_insurance", 16, item="medical_insurance")
    p.par("join_all", "各事项办结", "medical_insurance", 17, 1)
    p.end("end_completed", "“一件事一次办”办结", "medical_insurance", 18, 1)
    p.chain("hukou_registration_done", "fork_after_hukou")
    p.chain("fork_after_hukou", "social_security_card_issue", "social_security_card_done", "join_all")
    p.chain("fork_after_hukou", "medical_insurance_enrol", "medical_insurance_done", "join_all", "end_completed")
    return "he-province", p


REGIONS = [qinbei, jiangjin, tongchuan, sichuan, hebei]


def main(selected):
    for build in REGIONS:
        code, process = build()
        if not selected or code in selected:
            write(process, ROOT / "bpmn" / code / "process.bpmn")
            print("wrote", code)


if __name__ == "__main__":
    main(sys.argv[1:])
