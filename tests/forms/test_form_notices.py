import shutil
import subprocess


from forms.notices import find_cjk_font, render_html, render_pdf

NOTICE = {"number": "GX-QB-2025-000123", "date": "2025-10-10", "region_name": "钦州市钦北区",
          "applicant_name": "李秀英", "items": ["出生医学证明办理（首签）", "出生登记"],
          "reasons": ["须为婚内生育的新生儿", "须在新生儿出生1个月内提出申请"],
          "materials": ["《广西母子健康手册》“产时记录”页"], "deadline": "2025-10-20"}


def test_html_notices():
    assert "不予受理通知书" in render_html("refusal", NOTICE)
    assert "须为婚内生育的新生儿" in render_html("refusal", NOTICE)
    correction = render_html("correction", NOTICE)
    assert "补正告知书" in correction and "产时记录" in correction
    assert "现予受理" in render_html("acceptance", NOTICE)


def test_refusal_pdf_reads_back(tmp_path):
    assert shutil.which("pdftotext"), "pdftotext missing: `make test` installs poppler-utils"
    find_cjk_font()
    path = tmp_path / "refusal.pdf"
    path.write_bytes(render_pdf("refusal", NOTICE))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "不予受理通知书" in text
    assert "须为婚内生育的新生儿" in text
