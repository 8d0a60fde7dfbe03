"""Masked copies of forms for lists and logs: identity numbers, phones and bank accounts."""
from forms.idcard import mask_id, mask_phone


def _mask_value(key: str, value):
    if not isinstance(value, str):
        return value
    if key.endswith("id_number"):
        return mask_id(value)
    if key.endswith("phone"):
        return mask_phone(value)
    if key == "account":
        return mask_id(value)
    return value


def mask(form):
    """A copy of ``form`` with every identity number, phone and account masked."""
    if isinstance(form, dict):
        return {key: mask(value) if isinstance(value, (dict, list)) else _mask_value(key, value)
                for key, value in form.items()}
    if isinstance(form, list):
        return [mask(value) for value in form]
    return form
