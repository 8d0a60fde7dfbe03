"""Notices to the family (受理通知书 / 补正告知书 / 不予受理通知书) and SMS in the outbox.

Notices are stored as content; ``forms.notices`` renders them to HTML and PDF on download.
Each SMS has a dedupe key, so the same event never queues a second message.
"""
from sqlalchemy import func, select

from engine.models import Case, Notice, OutboxMessage

NOTICE_TITLES = {"acceptance": "受理通知书", "correction": "补正告知书", "refusal": "不予受理通知书"}
SMS_TEMPLATES = {
    "accepted": "【新生儿出生一件事】您的申请（{case}）已受理，承诺于{deadline}前办结。",
    "correction": "【新生儿出生一件事】您的申请（{case}）需补正材料：{materials}。请一次性补齐后提交。",
    "refused": "【新生儿出生一件事】您的申请（{case}）不予受理，原因：{reasons}。",
    "item_done": "【新生儿出生一件事】您申请的“{item}”已办结。",
    "ready_for_pickup": "【新生儿出生一件事】“{item}”已可领取，领取地点：{place}。",
    "posted": "【新生儿出生一件事】“{item}”已寄出，运单号：{tracking}。",
    "completed": "【新生儿出生一件事】您的申请（{case}）已全部办结。",
    "please_rate": "【新生儿出生一件事】请对本次服务进行评价（好差评），感谢您的支持。",
}


def issue_notice(ctx, case: Case, kind: str, content: dict) -> Notice:
    count = ctx.session.scalar(select(func.count()).select_from(Notice).where(Notice.case_id == case.id))
    now = ctx.now()
    notice = Notice(case_id=case.id, kind=kind, issued_at=now,
                    number=f"{case.region[:2].upper()}{now:%Y%m%d}-{case.id[:8]}-{count + 1:02d}",
                    content={"title": NOTICE_TITLES[kind], "case_id": case.id, "region": case.region,
                             "date": now.date().isoformat(), **content})
    ctx.session.add(notice)
    return notice


def queue_sms(ctx, case: Case, template: str, dedupe: str, **params) -> None:
    """Queue once: a second call for the same ``dedupe`` key is ignored."""
    key = f"{case.id}:{template}:{dedupe}"
    exists = ctx.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key))
    if exists or any(isinstance(o, OutboxMessage) and o.dedupe_key == key for o in ctx.session.new):
        return
    text = SMS_TEMPLATES[template].format(case=case.id[:8], **params)
    ctx.session.add(OutboxMessage(case_id=case.id, dedupe_key=key, template=template,
                                  phone=case.phone, text=text, created_at=ctx.now()))
