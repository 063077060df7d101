"""`shequ-gov new-policy`: the plug-in it writes installs with pip and passes its own tests, and a
second rule added as the guide says passes them too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shequ_gov import ValidationError
from shequ_gov.cli import main
from shequ_gov.scaffold import new_policy

SOURCE = """长沙市社区工作者队伍建设实施办法

每个城市社区按照每300户配备1名社区工作者的标准配备，最少不低于5名。
社区综合服务设施面积原则上不低于600平方米。
"""


def _run(cmd: list[str], root: Path, pythonpath: list[Path]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, pythonpath))}
    env.pop("SHEQU_GOV_DISABLE_PLUGIN_AUTOLOAD", None)
    return subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=600)


def _pytest(root: Path, pythonpath: list[Path]) -> subprocess.CompletedProcess:
    return _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], root, pythonpath)


def _second_rule(root: Path) -> None:
    """Add a second rule the way docs/guide_new_region.rst (step "A second rule") says."""
    pkg = root / "src" / "shequ_gov_changsha"
    with open(pkg / "policy.toml", "a", encoding="utf-8") as f:
        f.write('''
[parameters.service_area_min]
description = { zh = "社区综合服务设施最低面积", en = "minimum area of the community service facilities" }
unit = "m**2"

[[parameters.service_area_min.values]]
from = 2024-01-01
value = "600 m**2"
source = "changsha_source"
quote = "社区综合服务设施面积原则上不低于600平方米"

[rules."changsha.facilities.service_area"]
title = { zh = "社区综合服务设施面积", en = "community service facility area" }
level = "community"
kind = "requirement"
strength = "standard"
from = 2024-01-01
area_types = ["central_urban", "urban"]
parameters = ["service_area_min"]
citation = { source = "changsha_source", quote = "社区综合服务设施面积原则上不低于600平方米" }
''')
    (pkg / "facilities.py").write_text('''"""Facility rules of the changsha policy."""

from __future__ import annotations

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, at_least


@formula("changsha.facilities.service_area", increasing=["facility_area:service_housing"])
def service_area(c: CommunityInputs, p: Parameters) -> Outcome:
    """社区综合服务设施面积原则上不低于600平方米: the service housing is at least service_area_min."""
    area = c.facility_area("service_housing")
    return at_least(area, p.service_area_min, unit="m**2", inputs={"service housing / 服务用房": (area, "m**2")})
''', encoding="utf-8")
    init = pkg / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8").replace("from . import staffing", "from . import facilities, staffing")
                    .replace("[staffing]", "[staffing, facilities]"), encoding="utf-8")
    (root / "tests" / "cases" / "facilities.cases.yaml").write_text('''policy: changsha
defaults: {as_of: 2024-06-30}
cases:
  - name: an urban community with 650 m² of service housing meets the 600 m²
    community: {area_type: urban, facilities: [{kind: service_housing, area: 650}]}
    expect: {changsha.facilities.service_area: pass}
  - name: an urban community with 500 m² falls short by 100 m²
    community: {area_type: urban, facilities: [{kind: service_housing, area: 500}]}
    expect: {changsha.facilities.service_area: fail}
  - name: a village is not judged
    community: {area_type: rural, facilities: []}
    expect: {changsha.facilities.service_area: not_applicable}
''', encoding="utf-8")


def test_the_generated_plugin_installs_and_passes_its_tests_and_then_with_a_second_rule(tmp_path):
    """new-policy → pip install → its pytest passes; a second rule added per the guide → still passes."""
    src = tmp_path / "changsha_2020.txt"
    src.write_text(SOURCE, encoding="utf-8")
    root = tmp_path / "shequ-gov-changsha"
    assert main(["new-policy", "changsha", "--jurisdiction", "4301", "--source", str(src), "-o", str(root)]) == 0
    site = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                          "--no-index", "--target", str(site), str(root)], capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stderr
    assert (site / "shequ_gov_changsha" / "sources" / "changsha_2020.txt").is_file()  # package data
    run = _pytest(root, [site])
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "18 passed" in run.stdout  # 14 checks of the kit and 4 cases

    _second_rule(root)
    path = [root / "src", site]  # the sources first: as an editable install would
    readme = _run([sys.executable, "-m", "shequ_gov.cli", "catalogue", "readme", "README.md", "--policy", "changsha"],
                  root, path)
    assert readme.returncode == 0 and "updated" in readme.stdout, readme.stderr
    run = _pytest(root, path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "21 passed" in run.stdout


def test_the_scaffold_checks_its_arguments_and_writes_nothing_on_error(tmp_path):
    """A bad name, a bad code, an unreadable source and a non-empty directory are named at once."""
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        new_policy("Changsha", jurisdiction="43x", source=tmp_path / "missing.txt", directory=target)
    where = [loc for loc, _ in info.value.problems]
    assert where == ["NAME", "--jurisdiction", "-o", "--source"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] and [p.name for p in target.iterdir()] == ["keep.txt"]


def test_without_a_source_the_example_text_is_written_and_cited(tmp_path):
    """Without --source the example rule cites an example text shipped in the package's sources/ folder."""
    root = new_policy("demo_city", jurisdiction="110101", directory=tmp_path / "p")
    pkg = root / "src" / "shequ_gov_demo_city"
    assert "每个社区至少配备5名专职工作人员" in (pkg / "sources" / "demo_city.txt").read_text(encoding="utf-8")
    toml = (pkg / "policy.toml").read_text(encoding="utf-8")
    assert 'jurisdiction = ["110101"]' in toml and 'quote = "每个社区至少配备5名专职工作人员"' in toml
    assert 'name = "shequ-gov-demo-city"' in (root / "pyproject.toml").read_text(encoding="utf-8")
    assert "`demo_city.staffing.minimum`" in (root / "README.md").read_text(encoding="utf-8")


def test_the_cli_reports_bad_arguments_without_a_traceback(tmp_path, capsys):
    """Bad arguments exit 2 with the problems named."""
    assert main(["new-policy", "x-y", "--jurisdiction", "4301", "-o", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert "NAME: expected a lower-case identifier" in err and "Traceback" not in err


def test_the_example_cites_the_first_sentence_with_a_number(tmp_path):
    """With a source, the example rule quotes its first sentence that has a number, not the title."""
    src = tmp_path / "s.txt"
    src.write_text(SOURCE, encoding="utf-8")
    root = new_policy("cs", jurisdiction="4301", source=src, directory=tmp_path / "p")
    toml = (root / "src" / "shequ_gov_cs" / "policy.toml").read_text(encoding="utf-8")
    assert 'quote = "每个城市社区按照每300户配备1名社区工作者的标准配备，最少不低于5名"' in toml
    assert 'title = "长沙市社区工作者队伍建设实施办法"' in toml
