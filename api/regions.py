"""Regions are folders under the BPMN root: process, form and eligibility data; no code per region."""
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from engine import executable_processes, NotFound, parse_bpmn_bytes, process_properties


@dataclass
class Region:
    code: str
    folder: Path
    name: str
    properties: dict
    _form: object = field(default=None, repr=False)

    @property
    def items(self) -> list[str]:
        return [i.strip() for i in self.properties.get("items", "").split(",") if i.strip()]

    @property
    def promise_working_days(self) -> int | None:
        value = self.properties.get("promiseWorkingDays")
        return int(value) if value and value.isdigit() else None

    @property
    def form(self):
        """The region's form (``forms.load_region``), loaded once."""
        if self._form is None:
            from forms import load_region, ProcessRules
            self._form = load_region(self.folder, ProcessRules.from_properties(self.properties))
        return self._form


class RegionRegistry:
    def __init__(self, bpmn_root: Path):
        self.root = Path(bpmn_root)
        self._regions: dict[str, Region] = {}
        self.reload()

    def reload(self) -> None:
        regions = {}
        for path in sorted(self.root.glob("*/process.bpmn")):
            root = parse_bpmn_bytes(path.read_bytes(), path.name)
            process = executable_processes(root)[0]
            regions[path.parent.name] = Region(path.parent.name, path.parent,
                                               _region_name(root, process), process_properties(process))
        self._regions = regions

    def all(self) -> list[Region]:
        return list(self._regions.values())

    def get(self, code: str) -> Region:
        region = self._regions.get(code)
        if region is None:
            raise NotFound(f"地区 {code} 不存在", field="region")
        return region


def _region_name(root, process) -> str:
    name = process.get("name")
    if name:
        return name
    participant = root.find(".//{http://www.omg.org/spec/BPMN/20100524/MODEL}participant")
    return participant.get("name") if participant is not None else etree.QName(process).localname
