#!/usr/bin/env bash
# Draft the next schema revision: what engine/store/models.py has that the migrations' head lacks.
#
# Released revisions are never edited or regenerated (0001 was regenerated only until the first release).
# A schema change is a new revision on top of the head: review the draft by hand (autogenerate knows no
# data backfill, takes a rename for a drop and an add, and compares on SQLite, so PostgreSQL-only options
# such as partial indexes need writing), give it a working downgrade, and extend
# tests/attack/test_migrations.py with rows at the previous revision.
#
# Usage: tools/new_migration.sh "what changes"     (writes engine/store/migrations/versions/<next>_<slug>.py)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 \"what changes\"" >&2; exit 2; }
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
.venv/bin/python - "$tmp" "$1" <<'PY'
import sys
from alembic import command
from alembic.script import ScriptDirectory
from engine.store.db import alembic_config, upgrade

url = f"sqlite:///{sys.argv[1]}/draft.db"
upgrade(url)  # the schema the released revisions build
config = alembic_config(url)
head = ScriptDirectory.from_config(config).get_current_head()
command.revision(config, message=sys.argv[2], autogenerate=True, rev_id=f"{int(head) + 1:04d}")
PY
