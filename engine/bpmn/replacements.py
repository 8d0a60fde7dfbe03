"""The engine's replacements of SpiffWorkflow 3.2's (pinned) internals, recorded in one place: a module
that replaces one calls ``replace``, and ``as_shipped`` puts the library's own back for a while (the
bench's floor runs SpiffWorkflow as shipped), so no list of them elsewhere can fall behind."""
from contextlib import contextmanager

_REPLACED: list[tuple[object, str, object, object]] = []  # (class or module, attribute, the library's, ours)


def replace(owner, name: str, ours):
    """Put ``ours`` in place of ``owner.name``; returns the library's own."""
    stock = getattr(owner, name)
    setattr(owner, name, ours)
    _REPLACED.append((owner, name, stock, ours))
    return stock


@contextmanager
def as_shipped():
    """SpiffWorkflow as shipped inside the block; the engine's replacements again afterwards."""
    for owner, name, stock, _ in _REPLACED:
        setattr(owner, name, stock)
    try:
        yield
    finally:
        for owner, name, _, ours in _REPLACED:
            setattr(owner, name, ours)
