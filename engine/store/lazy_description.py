"""psycopg's ``cursor.description`` without making every column's ``Column`` on each read.

psycopg builds a ``Column`` per result column whenever ``description`` is read (about 2.5 µs each: 85 µs
for a task row's 34 columns, more than the query's own execute and fetch), and SQLAlchemy reads it after
every statement; for a statement it has compiled before it then reuses its cached result metadata and
looks at no column. Here each ``Column`` is made the first time it is read, from the result it
describes (bench/NOTES.md, round twelve)."""
from collections.abc import Sequence
from types import SimpleNamespace

import psycopg
from psycopg import pq

_ROWS = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK)


class LazyColumns(Sequence):
    """The columns of one result, each ``psycopg.Column`` made when first read."""

    __slots__ = ("_result", "_count", "_made")

    def __init__(self, result, count: int):
        self._result, self._count, self._made = result, count, {}

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("column index out of range")
        column = self._made.get(index)
        if column is None:
            column = self._made[index] = psycopg.Column(self._result, index)
        return column

    def __repr__(self) -> str:
        return repr(list(self))


class LazyDescriptionCursor(psycopg.Cursor):
    @property
    def description(self) -> LazyColumns | None:
        res = self.pgresult
        if res and (res.nfields or res.status in _ROWS):  # psycopg's own test ("SELECT ;" has rows)
            # what a Column reads, as of this result: the cursor may move on before a column is read
            return LazyColumns(SimpleNamespace(pgresult=res, _encoding=self._encoding, adapters=self.adapters),
                               res.nfields)
        return None


def use_lazy_description(dbapi_connection, _record) -> None:
    """Pool ``connect`` event: the connection's cursors describe their results lazily."""
    dbapi_connection.cursor_factory = LazyDescriptionCursor
