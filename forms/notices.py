"""Acceptance, correction and refusal notices (受理通知书 / 补正告知书 / 不予受理通知书), HTML and PDF.

A notice is a plain dict: number, date, region_name, applicant_name, items (names), reasons,
materials, deadline, and optionally office (the issuing window).
"""
import html
import os
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

TITLES = {"acceptance": "受理通知书", "correction": "补正告知书", "refusal": "不予受理通知书"}

# Debian package fonts-wqy-microhei (first), fonts-noto-cjk as an alternative.
FONT_ENV = "NEWBORN_CJK_FONT"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


class FontMissing(RuntimeError):
    """No CJK font to embed in PDF notices."""


class UnknownNotice(ValueError):
    pass


@dataclass(frozen=True)
class NoticeText:
    title: str
    heading: str
    paragraphs: list[str]
    bullets: list[str]
    closing: list[str]


def find_cjk_font() -> Path:
    configured = os.environ.get(FONT_ENV)
    for candidate in ([configured] if configured else []) + list(FONT_CANDIDATES):
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing(f"no CJK font found; install the Debian package fonts-wqy-microhei "
                      f"or set {FONT_ENV} to a TTF/OTF/TTC file (looked in {', '.join(FONT_CANDIDATES)})")


def compose(kind: str, notice: dict) -> NoticeText:
    """The words of a notice, shared by the HTML and the PDF renderings."""
    if kind not in TITLES:
        raise UnknownNotice(f"unknown notice kind {kind!r}; expected one of {sorted(TITLES)}")
    items = "、".join(notice.get("items", [])) or "新生儿出生“一件事”"
    opening = (f"您于{notice.get('date', '')}提交的新生儿出生“一件事”联办申请（{items}），经审查，")
    if kind == "acceptance":
        paragraphs = [opening + "符合受理条件，申请材料齐全，现予受理。",
                      f"承诺办结时间：{notice['deadline']}前。" if notice.get("deadline") else ""]
        bullets: list[str] = []
    elif kind == "correction":
        paragraphs = [opening + "符合受理条件，但申请材料不齐全。请一次性补正以下全部材料"
                      + (f"，并于{notice['deadline']}前提交" if notice.get("deadline") else "") + "："]
        bullets = list(notice.get("materials", []))
    else:
        paragraphs = [opening + "不符合受理条件，决定不予受理。理由如下："]
        bullets = list(notice.get("reasons", []))
    closing = [notice.get("office") or f"{notice.get('region_name', '')}新生儿出生“一件事”综合窗口",
               str(notice.get("date", ""))]
    return NoticeText(TITLES[kind], f"{notice.get('applicant_name', '')}：",
                      [p for p in paragraphs if p], bullets, closing)


def render_html(kind: str, notice: dict) -> str:
    text = compose(kind, notice)
    e = html.escape
    bullets = "".join(f"<li>{e(b)}</li>" for b in text.bullets)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{e(text.title)}</title></head><body>"
        f"<h1>{e(notice.get('region_name', ''))}{e(text.title)}</h1>"
        f"<p class=\"number\">编号：{e(str(notice.get('number', '')))}</p>"
        f"<p>{e(text.heading)}</p>"
        + "".join(f"<p>{e(p)}</p>" for p in text.paragraphs)
        + (f"<ol>{bullets}</ol>" if bullets else "")
        + "".join(f'<p class="closing">{e(c)}</p>' for c in text.closing)
        + "</body></html>\n"
    )


def render_pdf(kind: str, notice: dict, font: Path | None = None) -> bytes:
    text = compose(kind, notice)
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.add_font("cjk", "", str(font or find_cjk_font()))
    pdf.set_font("cjk", size=18)
    pdf.multi_cell(0, 12, f"{notice.get('region_name', '')}{text.title}", align="C", new_x="LMARGIN")
    pdf.set_font("cjk", size=11)
    pdf.multi_cell(0, 8, f"编号：{notice.get('number', '')}", align="R", new_x="LMARGIN")
    pdf.set_font("cjk", size=12)
    for line in [text.heading, *text.paragraphs]:
        pdf.multi_cell(0, 8, line, new_x="LMARGIN")
    for index, bullet in enumerate(text.bullets, 1):
        pdf.multi_cell(0, 8, f"{index}. {bullet}", new_x="LMARGIN")
    pdf.ln(8)
    for line in text.closing:
        pdf.multi_cell(0, 8, line, align="R", new_x="LMARGIN")
    return bytes(pdf.output())
