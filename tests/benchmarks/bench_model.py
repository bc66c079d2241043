"""8. The cost of the member checks of generated models (issue 12, point 4).

Builds the DescribeInstancesRequest of :mod:`bench_prepare` (three filters,
five instance ids, paging) from cvm's generated models, twice: with the
generated ``__attrs_post_init__`` member checks, and from the same source with
those methods taken out (the models as generated before the checks).
Goal: the checks cost at most 2x the unchecked build.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, List

from _harness import US, Row, Stats, calibrate, interleave, paired_ratios, per_op, skipped
from bench_prepare import describe_instances_params

ROUNDS = 30
# A generated member-check method: its def line and the indented lines under it.
_POST_INIT = re.compile(
    r"\n    def __attrs_post_init__\(self\) -> None:\n(?:        .*\n|\n(?=        ))*"
)


def _services_dir() -> Path:
    spec = importlib.util.find_spec("tccli")
    if spec is None or not spec.submodule_search_locations:
        raise LookupError("tccli (test-only dependency) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "services"


def _load(name: str, source: str, folder: Path) -> ModuleType:
    path = folder / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # models resolve their annotations by module name
    spec.loader.exec_module(module)
    return module


def builder(models: Any) -> Callable[[], object]:
    """One DescribeInstancesRequest with its filters, built from ``models``."""
    params = describe_instances_params()
    filters = [(f["Name"], list(f["Values"])) for f in params["Filters"]]
    ids = list(params["InstanceIds"])

    def build() -> object:
        return models.DescribeInstancesRequest(
            Filters=[models.Filter(Name=name, Values=values) for name, values in filters],
            InstanceIds=ids,
            Limit=20,
            Offset=0,
        )

    return build


def run() -> List[Row]:
    """Measure and judge the model-check goal."""
    from tcfunc.codegen import generate, load_spec

    metric = "build DescribeInstancesRequest (3 filters), checked vs unchecked"
    try:
        _vdir, spec = load_spec(_services_dir(), "cvm", "2017-03-12")
    except LookupError as exc:
        return [skipped("model", metric, str(exc))]
    checked_src = generate(spec, service="cvm", actions=["DescribeInstances"])["models.py"]
    unchecked_src = _POST_INIT.sub("", checked_src)
    assert "__attrs_post_init__" not in unchecked_src
    with tempfile.TemporaryDirectory() as tmp:
        checked = _load("_bench_models_checked", checked_src, Path(tmp))
        unchecked = _load("_bench_models_unchecked", unchecked_src, Path(tmp))
    ours, base = builder(checked), builder(unchecked)
    assert repr(ours()) == repr(base())
    number = calibrate(ours)
    samples = interleave(
        [("checked", per_op(ours, number)), ("unchecked", per_op(base, number))],
        rounds=ROUNDS,
        warmup=3,
    )
    ratio = paired_ratios(samples["checked"], samples["unchecked"])
    row = Row(
        "model",
        metric,
        US,
        "checked",
        Stats.of(samples["checked"]),
        "unchecked",
        Stats.of(samples["unchecked"]),
        ratio=ratio,
        goal="<= 2x",
        passed=ratio.median <= 2.0,
    )
    row.notes.append(f"{number} builds per sample, {ROUNDS} rounds; 4 models per build")
    return [row]
