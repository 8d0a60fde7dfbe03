"""Notices to the family (受理通知书 / 补正告知书 / 不予受理通知书) and SMS in the outbox.

Notices are stored as content; ``forms.notices`` renders them to HTML and PDF on download.
Each SMS has a dedupe key, so the same event never queues a second message.
"""
from engine.store.commit_writes import insert_later
from engine.notify import timeline
from engine.store.models import Case, CaseItem, Notice, OutboxMessage
from engine.states import CaseStatus, ItemStatus, TaskState

NOTICE_TITLES = {"acceptance": "受理通知书", "correction": "补正告知书", "refusal": "不予受理通知书"}
ITEM_NAMES = {
    "birth_certificate": "出生医学证明", "vaccination_certificate": "预防接种证",
    "hukou_registration": "出生登记（户口登记）", "medical_insurance": "城乡居民医保参保登记",
    "insurance_payment": "医保缴费", "social_security_card": "社会保障卡申领",
    "maternity_reimbursement": "生育医疗费用报销", "parenting_guidance": "科学育儿指导服务登记",
}
SMS_TEMPLATES = {
    "accepted": "【新生儿出生一件事】您的申请（{case}）已受理，承诺于{deadline}前办结。",
    "accepted_no_promise": "【新生儿出生一件事】您的申请（{case}）已受理，办理进度可在“我的办件”中查看。",
    "correction": "【新生儿出生一件事】您的申请（{case}）需补正材料：{materials}。请一次性补齐后提交。",
    "refused": "【新生儿出生一件事】您的申请（{case}）不予受理，原因：{reasons}。",
    "item_done": "【新生儿出生一件事】您申请的“{item}”已办结。",
    "ready_for_pickup": "【新生儿出生一件事】“{item}”已可领取，领取地点：{place}。",
    "posted": "【新生儿出生一件事】“{item}”已寄出，运单号：{tracking}。",
    "completed": "【新生儿出生一件事】您的申请（{case}）已全部办结。",
    "please_rate": "【新生儿出生一件事】请对本次服务进行评价（好差评），感谢您的支持。",
}
POST_TOPIC = "delivery.post"


def named(names: dict | None, code: str) -> str:
    """The item as ``names`` (a region's form: its seed's wording) names it, else the generic name."""
    return (names or {}).get(code) or ITEM_NAMES.get(code, code)


def item_name(case: Case, code: str) -> str:
    """The item as the case's region named it to the family (``case.item_names``)."""
    return named(case.item_names, code)


def issue_notice(ctx, case: Case, kind: str, content: dict) -> None:
    """A numbered notice of the case, queued with the step's other rows (the caller holds the case lock
    and commits; nothing in the step reads it back).

    The case row keeps the count (``notices_issued``): the step writes that row anyway, where a count
    of the notices would be a query of its own."""
    case.notices_issued = count = (case.notices_issued or 0) + 1
    now = ctx.now()
    insert_later(ctx.session, Notice, case_id=case.id, kind=kind, issued_at=now,
                 number=f"{case.region[:2].upper()}{now:%Y%m%d}-{case.id[:8]}-{count:02d}",
                 content={"title": NOTICE_TITLES[kind], "case_id": case.id, "region": case.region,
                          "date": now.date().isoformat(), **content})


def notice_document(notice: Notice, region_name: str = "") -> dict:
    """The dict ``forms.notices`` renders, from a stored notice."""
    content = notice.content or {}
    return {"number": notice.number, "date": content.get("date") or notice.issued_at.date().isoformat(),
            "region_name": region_name, "applicant_name": content.get("applicant") or "申请人",
            "items": list(content.get("items") or []), "reasons": list(content.get("reasons") or []),
            "materials": list(content.get("materials") or []),
            "deadline": content.get("deadline") if content.get("deadline") not in (None, "—") else None}


def queue_sms(ctx, case: Case, template: str, dedupe: str, **params) -> None:
    """Queue once: a second call for the same ``dedupe`` key is ignored (the unique key backs it)."""
    insert_later(ctx.session, OutboxMessage, once=True, case_id=case.id, dedupe_key=f"{case.id}:{template}:{dedupe}",
                template=template, phone=case.phone, created_at=ctx.now(), attempts=0,
                text=SMS_TEMPLATES[template].format(case=case.id[:8], **params))


def on_step(ctx, case: Case, changes, workflow=None) -> None:
    """SMS for what a step finished: items done (and ready for pick-up), results posted, case done."""
    if not (changes.items_done or changes.case_finished or any(t.topic == POST_TOPIC for t in changes.closed)):
        return
    items = changes.items
    for code in changes.items_done:
        item = items.get(code)
        if item is None or item.status != ItemStatus.DONE.value:
            continue
        queue_sms(ctx, case, "item_done", code, item=item_name(case, code))
        delivery = delivery_of(case, item)
        if delivery.get("method") == "pickup" and delivery.get("place"):
            queue_sms(ctx, case, "ready_for_pickup", code, item=item_name(case, code),
                      place=delivery["place"])
    for task in changes.closed:
        if task.topic == POST_TOPIC and task.state == TaskState.COMPLETED:
            tracking = _task_value(workflow, task.id, "tracking_number")
            if tracking:
                for item in items.values():
                    if item.status == ItemStatus.DONE.value and delivery_of(case, item).get("method") == "post":
                        record_tracking(ctx, case, item, str(tracking), task.completed_by)
    if changes.case_finished and case.status == CaseStatus.COMPLETED:
        queue_sms(ctx, case, "completed", "1")
        queue_sms(ctx, case, "please_rate", "1")


def delivery_of(case: Case, item: CaseItem) -> dict:
    """The item's own delivery choice, else the form's (自取 at a named place, or 邮寄)."""
    if item.delivery:
        return item.delivery
    chosen = (case.form or {}).get("delivery") or {}
    if chosen.get("method") == "pickup" and chosen.get("pickup_place"):
        return {"method": "pickup", "place": chosen["pickup_place"]}
    if chosen.get("method") == "post":
        return {"method": "post", "address": chosen.get("address") or chosen.get("post_address")}
    return {}


def record_tracking(ctx, case: Case, item: CaseItem, tracking: str, actor: str | None) -> None:
    """A posted result gets its tracking number (运单号) and the family an SMS, once per number."""
    item.delivery = {**(item.delivery or {}), "method": "post", "tracking_number": tracking}
    queue_sms(ctx, case, "posted", f"{item.item}:{tracking}", item=item_name(case, item.item),
              tracking=tracking)
    timeline.record(ctx, case.id, "result_posted", actor, detail={"item": item.item, "tracking_number": tracking})


def _task_value(workflow, task_id: str, name: str):
    if workflow is None:
        return None
    from uuid import UUID
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except Exception:  # the task may have left the workflow's tree
        return None
    return task.data.get(name) if task is not None else None
