"""The rows a session would write, taken from the ORM (``commit_writes`` sends them): the changed columns
of loaded rows, and new rows whole. Their objects are then marked written, as the ORM's flush marks them.
What the plain form cannot say stays with the ORM's flush."""
from functools import cache

from sqlalchemy import inspect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement


def take_updates(session: Session, dirty, encode=None) -> dict:
    """The changed columns of the loaded rows the session would UPDATE (``dirty``: its ``session.dirty``),
    by (row plan, columns): rows and, with ``encode``, the rows as one text (``encode`` refusing one with
    ``TypeError`` leaves them all to the ORM). Their objects are marked written, as the ORM's flush marks
    them after its own UPDATEs, and a versioned row's version moves on in memory; the writer guards each
    by the version it was read with. Rows the plain form cannot say (a SQL expression assigned, a key
    changed, a mapper with relationships) stay with the ORM."""
    taken, states = {}, []
    for obj in dirty:
        state = inspect(obj)
        plan = row_plan(state.mapper)
        changed = state.committed_state
        if plan is None or plan.key is None or not changed or not changed.keys() <= plan.columns.keys() \
                or plan.key in changed \
                or plan.version in changed:
            continue
        values = state.dict
        row = {plan.columns[key]: values[key] for key in changed}
        if any(isinstance(value, ClauseElement) for value in row.values()):
            continue
        row[plan.key_column] = values[plan.key]
        if plan.version:
            row[plan.version_column] = values[plan.version]
        taken.setdefault((plan, tuple(sorted(row))), []).append(row)
        states.append((state, plan))
    try:
        taken = {key: (rows, encode(rows) if encode else None) for key, rows in taken.items()}
    except TypeError:
        return {}  # a value JSON cannot carry: the ORM writes them all, as before
    for state, plan in states:
        if plan.version:
            state.dict[plan.version] += 1
        state._commit_all(state.dict, session.identity_map)  # noqa: SLF001 (what the ORM's flush calls)
    return taken


def take_new(session: Session) -> dict:
    """The session's new rows as queued rows (``insert_later``'s form), taken from the ORM: each object
    gets every column's value (its Python-side default, else None), then becomes a persistent object
    of the session as the ORM's flush makes it after inserting it. All or none: a new row the plain form
    cannot say (a key the database assigns, a default only the database knows) leaves them all to the
    ORM, which orders parents before children."""
    rows, taken = {}, []
    for obj in session.new:
        state = inspect(obj)
        plan = row_plan(state.mapper)
        values = _all_columns(state, plan) if plan is not None else None
        if values is None:
            return {}
        rows.setdefault((plan.table, False, tuple(sorted(values))), []).append(values)
        taken.append((state, plan, values))
    for state, plan, values in taken:
        state.dict.update({attr: values[name] for attr, name in plan.columns.items()})  # key = name (row_plan)
    # what the ORM's flush calls after its INSERTs: key set, values committed, pending -> persistent (the
    # transaction remembers them as new, so a rollback expunges them as it would the ORM's)
    session._register_persistent({state for state, _, _ in taken})  # noqa: SLF001
    return rows


def _all_columns(state, plan) -> dict | None:
    """A new row's value for every column (by column key), or None if one is the database's to give. As
    the ORM's INSERT: an attribute left None counts as not given (its default applies), except where the
    type stores None as a value (JSON's null)."""
    values, held = {}, state.dict
    for attr, key, none_is_value, default, arg in plan.fillers:
        value = held.get(attr)
        if value is not None or (none_is_value and attr in held):
            if isinstance(value, ClauseElement):
                return None
        elif default is _CALLED:
            value = arg(None)  # per row: a ``list`` default is a new list each time
        elif default is _SCALAR:
            value = arg
        elif default is _DATABASE:
            return None
        values[key] = value
    return values


# how a column left None is filled (``RowPlan.fillers``): the ORM's INSERT sends its Python default, called
# or as it is; the database's own (a server default, a key it assigns, a SQL expression) only it can give
_CALLED, _SCALAR, _DATABASE, _NULL = "called", "scalar", "database", "null"


def _filler(table, column) -> tuple[str, object]:
    default = column.default
    if default is not None:
        if default.is_callable:
            return _CALLED, default.arg
        return (_SCALAR, default.arg) if default.is_scalar else (_DATABASE, None)
    if column.server_default is not None or column.primary_key or column is table.autoincrement_column:
        return _DATABASE, None
    return _NULL, None


class RowPlan:
    __slots__ = ("table", "key", "key_column", "version", "version_column", "columns", "fillers")


@cache
def row_plan(mapper) -> RowPlan | None:
    """How ``take_updates`` and ``take_new`` write a mapper's rows, or None where only the ORM can: one
    table, no relationships, no column computed on update, a version (if any) counted up by one. Only
    rows with a one-column key (``key``; else None) are updated by it."""
    table = mapper.local_table
    if mapper.inherits or mapper.relationships or \
            any(column.onupdate is not None or column.server_onupdate is not None for column in table.columns):
        return None
    if mapper.version_id_col is not None and (
            not callable(mapper.version_id_generator) or mapper.version_id_generator(41) != 42):
        return None
    plan = RowPlan()
    plan.table, plan.columns = table, {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if len(prop.columns) != 1 or column.table is not table or column.key != column.name:
            return None
        plan.columns[prop.key] = column.name  # = its key: Core's binds and the SQL text agree
    # per column, once: (attribute, key, whether None is a value it stores, how it is filled if left None)
    plan.fillers = tuple((attr, table.c[name].key, table.c[name].type.should_evaluate_none,
                          *_filler(table, table.c[name])) for attr, name in plan.columns.items())
    plan.key = plan.key_column = None
    if len(mapper.primary_key) == 1:
        key_column = mapper.primary_key[0]
        plan.key, plan.key_column = mapper.get_property_by_column(key_column).key, key_column.name
    plan.version = plan.version_column = None
    if mapper.version_id_col is not None:
        plan.version = mapper.get_property_by_column(mapper.version_id_col).key
        plan.version_column = mapper.version_id_col.name
    return plan
