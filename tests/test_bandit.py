"""bandit finds no high-severity problem in the package (`make security` in .ci/run)."""

import json
import subprocess
import sys

from tests.live.servers import ROOT


def bandit(*paths: str) -> list[dict]:
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "--recursive", *paths]
        + ["--severity-level", "high", "--format", "json", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return json.loads(result.stdout)["results"]


def test_no_high_severity_finding_in_the_package():
    assert bandit("partnership") == []


def test_the_check_would_see_one(tmp_path):
    (tmp_path / "bad.py").write_text("import subprocess\nsubprocess.call(input(), shell=True)\n")
    assert [finding["test_id"] for finding in bandit(str(tmp_path))] == ["B602"]
