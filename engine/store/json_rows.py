"""ORM objects from rows a statement sent (as JSON: ``json_agg`` of a table's rows; or as a Core row), put
in the session as loaded rows, as the ORM's own load would: a step reads its case, open tasks and items in one statement
instead of one per table (bench/NOTES.md)."""
from datetime import date, datetime
from functools import cache

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, String, Text, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from engine.store.db import own_session

# what JSON carries as it is; dates and times come as ISO text (PostgreSQL's to_json)
_AS_IS = (String, Text, Integer, Float, Boolean, JSON)


@cache
def readable(model) -> tuple | None:
    """(attribute, column name, converter, deferred) of every column of ``model``, or None if a column's
    type does not come back whole from JSON (then the caller reads the table itself)."""
    mapper, plan = inspect(model), []
    for prop in mapper.column_attrs:
        if len(prop.columns) != 1:
            return None
        kind = prop.columns[0].type
        if isinstance(kind, DateTime):
            convert = datetime.fromisoformat
        elif isinstance(kind, Date):
            convert = date.fromisoformat
        elif isinstance(kind, _AS_IS):
            convert = None
        else:
            return None
        plan.append((prop.key, prop.columns[0].name, convert, bool(prop.deferred)))
    return tuple(plan)


def _read_in(plan: tuple, row) -> tuple[list, list]:
    """The plan's columns the row holds, and the attributes of those it leaves out: deferred ones only
    (left unloaded, as the ORM's load leaves them: read when first asked for)."""
    present, absent = [], []
    for attr, name, convert, deferred in plan:
        if name in row:
            present.append((attr, name, convert))
        elif deferred:
            absent.append(attr)
        else:
            raise ValueError(f"the rows lack a column that is not deferred: {name}")
    return present, absent


def attach(session: Session, model, rows: list, typed: bool = False) -> list:
    """The rows (column name -> value) as persistent ``model`` objects of ``session``, their values as
    loaded (nothing to write); an object the session holds already takes the row's values
    (``populate_existing``). ``typed``: the values are Python's already (a Core row), not JSON's. The
    rows hold every column but deferred ones, which they may leave out.

    A new object is put in the identity map as the ORM's own loading puts a row's object there
    (``loading._instance``): ``session.add`` of a detached object cost a cascade walk each."""
    if not rows:
        return []
    (plan, absent), mapper = _read_in(readable(model), rows[0]), inspect(model)  # one shape for all rows
    key = mapper.get_property_by_column(mapper.primary_key[0]).key
    own = own_session(session)
    identity_map, session_id = own.identity_map, own.hash_key
    objects = []
    for row in rows:
        if typed:
            values = {attr: row[name] for attr, name, _ in plan}
        else:
            values = {attr: (convert(row[name]) if convert and row[name] is not None else row[name])
                      for attr, name, convert in plan}
        identity = mapper.identity_key_from_primary_key([values[key]])
        held = identity_map.get(identity)
        if held is not None:
            for attr, value in values.items():
                set_committed_value(held, attr, value)
            if absent:  # what it held of them may be older than the row: read again when asked for
                own.expire(held, absent)
            objects.append(held)
            continue
        obj = mapper.class_manager.new_instance()
        state = instance_state(obj)
        state.dict.update(values)
        state.key, state.identity_token, state.session_id = identity, None, session_id
        identity_map._add_unpresent(state, identity)  # noqa: SLF001 (what the ORM's loading calls)
        objects.append(obj)
    return objects


def built(model, **values):
    """A new ``model`` object holding ``values``, built as ``attach`` builds one: its values placed, without
    the attribute events of ``model(**values)`` (29 µs a task row against 2; a review step opens nine).
    ``session.add`` it as any new object: the write takes it whole (``taken_rows.take_new``), or the
    ORM's flush does."""
    obj = inspect(model).class_manager.new_instance()
    instance_state(obj).dict.update(values)
    return obj
