"""The Qinbei case every bench drives: the same form, the same answers, the same department results."""
import copy
import json
from datetime import date, timedelta
from pathlib import Path

from forms import load_region

ROOT = Path(__file__).resolve().parent.parent
REGION = "gx-qinzhou-qinbei"
ALL_ITEMS = ["birth_certificate", "vaccination_certificate", "hukou_registration", "social_security_card",
             "maternity_reimbursement", "medical_insurance", "parenting_guidance"]
ANSWERS = {"acceptance_review": {"decision": "accept"}}  # every other Qinbei user task needs no data


def process_bytes() -> bytes:
    return (ROOT / "bpmn" / REGION / "process.bpmn").read_bytes()


def sample_form(today: date | None = None) -> dict:
    """The test sample, its baby born two days ago (the form only accepts births within a month)."""
    form = copy.deepcopy(json.loads((ROOT / "tests/data/forms" / f"{REGION}.json").read_text("utf-8")))
    born = (today or date.today()) - timedelta(days=2)
    form["newborn"]["birth_time"] = f"{born.isoformat()}T08:30:00"
    return form


def facts() -> dict:
    form = load_region(ROOT / "bpmn" / REGION)
    return form.facts(sample_form(), ALL_ITEMS)


def answer_for(form_key: str | None) -> dict:
    return dict(ANSWERS.get(form_key or "", {}))
