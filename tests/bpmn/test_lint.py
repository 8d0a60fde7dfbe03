"""Every regional diagram imports into bpmn-moddle without warnings and passes bpmnlint:recommended."""
import json
import shutil
import subprocess

from diagrams import ROOT


def test_bpmnlint_recommended_clean():
    assert shutil.which("node"), "Node.js is needed for the BPMN lint (tools/bpmn_check.mjs)"
    assert (ROOT / "node_modules" / "bpmnlint").is_dir(), "node_modules is missing: run `npm ci` in the repository root"
    files = sorted(str(p) for p in (ROOT / "bpmn").glob("*/process.bpmn"))
    assert files
    proc = subprocess.run(["node", str(ROOT / "tools" / "bpmn_check.mjs"), *files], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    report = json.loads(proc.stdout)
    problems = {r["file"]: r for r in report["results"] if r["importWarnings"] or r["errors"] or r["warnings"]}
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=2)
    assert proc.returncode == 0 and report["ok"], proc.stderr
