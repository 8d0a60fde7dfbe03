"""Parse untrusted BPMN bytes with every XML attack surface closed.

SpiffWorkflow parses with lxml's default parser; we parse uploads ourselves first
(no DTD, no entities, no network, DOCTYPE refused, bounded size and depth) and hand
the resulting tree to the parser.
"""
from lxml import etree

from engine.errors import Problem

MAX_BPMN_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64

_PARSER_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


def parse_bpmn_bytes(data: bytes, filename: str = "diagram.bpmn"):
    """Return the lxml root of ``data`` or raise ``XmlRejected`` naming the reason."""
    if len(data) > MAX_BPMN_BYTES:
        raise XmlRejected(Problem(filename, "too_large", f"BPMN 文件超过 {MAX_BPMN_BYTES // 1048576} MB 上限"))
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise XmlRejected(Problem(filename, "doctype_forbidden", "BPMN 文件不得包含 DOCTYPE 或实体声明"))
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise XmlRejected(Problem(filename, "xml_syntax", f"XML 语法错误：{exc}")) from None
    if _depth(root) > MAX_DEPTH:
        raise XmlRejected(Problem(filename, "too_deep", f"XML 嵌套超过 {MAX_DEPTH} 层"))
    return root


def _depth(root) -> int:
    deepest = 0
    for element in root.iter():
        depth = 0
        node = element
        while node is not None and depth <= MAX_DEPTH:
            node = node.getparent()
            depth += 1
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
    return deepest


class XmlRejected(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem
