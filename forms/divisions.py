"""Administrative division codes (GB/T 2260), read from the data file shipped with the package."""
import json
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "divisions.json"


@lru_cache(maxsize=1)
def divisions() -> dict[str, str]:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))["divisions"]


def name_of(code: str) -> str | None:
    return divisions().get(code)


def is_known(code: str) -> bool:
    return isinstance(code, str) and code in divisions()


def full_name(code: str) -> str:
    """Province + prefecture + county, e.g. 广西壮族自治区钦州市钦北区."""
    table = divisions()
    parts = [code[:2] + "0000", code[:4] + "00", code]
    names: list[str] = []
    for part in parts:
        name = table.get(part)
        if name and name not in names:
            names.append(name)
    return "".join(names)
