"""The layout's rules, checked on the source (see docs/dev.md, "Where things live").

- Each package's ``__all__`` is exactly its public face (as httpx checks its own; ruff keeps it
  sorted).
- Nothing outside a package imports one of its ``_private`` modules; a test may, only for a name
  the package does not export.
- ``workers`` imports ``tracker``, never the other way round (not even inside a function).
- The front ends (CLI, web app, Celery tasks, demo) compose no use case: no function of theirs
  calls into two or more of the domain's or the pipeline's modules; they call
  :mod:`tracker.service`, which does.
- Time enters through :mod:`tracker.clock` only.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import tracker
import workers

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "tracker", ROOT / "workers"]
EVERY_TREE = [*SOURCES, ROOT / "tests", ROOT / "benchmarks", ROOT / "migrations"]
#: the domain and the stages of the pipeline: what a use case composes
DOMAIN = (
    "tracker.baselines",
    "tracker.db",
    "tracker.domain",
    "tracker.extract",
    "tracker.ingest",
    "tracker.matching",
    "tracker.resolution",
    "tracker.scoring",
    "tracker.reports",
    "tracker.search",
)
#: the front ends: they parse, call tracker.service, and present
FRONT_ENDS = [ROOT / "tracker" / "cli", ROOT / "tracker" / "web", ROOT / "workers"]
FRONT_END_FILES = [ROOT / "tracker" / "demo.py"]


def packages() -> list[ModuleType]:
    found = [tracker, workers]
    for package in (tracker, workers):
        infos = pkgutil.walk_packages(package.__path__, package.__name__ + ".")
        found.extend(importlib.import_module(info.name) for info in infos if info.ispkg)
    return found


def python_files(*trees: Path) -> Iterator[Path]:
    for tree in trees:
        yield from sorted(p for p in tree.rglob("*.py") if ".venv" not in p.parts)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> Iterator[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import in the file, nested ones
    included; relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, [alias.name for alias in node.names], node.lineno


@pytest.mark.parametrize("package", packages(), ids=lambda p: p.__name__)
def test_all_is_the_sorted_public_face(package):
    exported = package.__all__
    assert len(set(exported)) == len(exported), f"{package.__name__}.__all__ repeats a name"
    for name in exported:
        assert getattr(package, name, None) is not None, f"{package.__name__}.{name} is missing"
    public = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_")
        and not isinstance(value, ModuleType)
        and name != "annotations"  # `from __future__ import annotations`
    }
    assert public <= set(exported) | _submodule_names(package), (
        f"{package.__name__} has public names missing from __all__: "
        f"{sorted(public - set(exported))}"
    )


def _submodule_names(package: ModuleType) -> set[str]:
    return {info.name for info in pkgutil.iter_modules(package.__path__)}


def test_private_modules_stay_inside_their_package():
    problems = []
    for path in python_files(*EVERY_TREE):
        here = module_name(path)
        for module, names, line in imports(path):
            parts = module.split(".")
            private = next((i for i, part in enumerate(parts) if part.startswith("_")), None)
            if private is None or parts[0] not in ("tracker", "workers"):
                continue
            owner = ".".join(parts[:private])
            if here == owner or here.startswith(owner + "."):
                continue
            if here.startswith(("tests.", "benchmarks.")):
                public = set(getattr(importlib.import_module(owner), "__all__", ()))
                shown = [n for n in names if n in public]
                if not shown:
                    continue  # a test of an internal that has no public face
                problems.append(f"{path.name}:{line}: import {shown} from {owner}, not {module}")
                continue
            problems.append(
                f"{path.relative_to(ROOT)}:{line}: imports {module} from outside {owner}"
            )
    assert not problems, "\n".join(problems)


def test_tracker_never_imports_workers():
    offending = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in python_files(ROOT / "tracker")
        for module, _names, line in imports(path)
        if module == "workers" or module.startswith("workers.")
    ]
    assert not offending, f"tracker imports workers at: {offending}"


def _domain_module(origin: str) -> str | None:
    """The domain module (or pipeline stage) an imported name comes from, if any."""
    for prefix in DOMAIN:
        if origin == prefix or origin.startswith(prefix + "."):
            if prefix == "tracker.domain":  # the domain's modules are each their own
                return ".".join(origin.split(".")[:3])
            return prefix
    return None


def _origins(tree: ast.Module) -> dict[str, str]:
    """Local name -> the dotted name it was imported as, for every import in the module."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else None


def domain_calls(path: Path) -> dict[str, set[str]]:
    """For each function of the file: the domain modules it calls into (calls and constructors)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    origins = _origins(tree)
    calls: dict[str, set[str]] = {}
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        modules = calls.setdefault(f"{function.name}:{function.lineno}", set())
        for node in ast.walk(function):
            if isinstance(node, ast.Call):
                name = _root_name(node.func)
                module = _domain_module(origins.get(name or "", ""))
                if module:
                    modules.add(module)
    return calls


def test_front_ends_call_the_service_not_two_domain_modules():
    problems = []
    for path in [*python_files(*FRONT_ENDS), *FRONT_END_FILES]:
        for function, modules in domain_calls(path).items():
            if len(modules) > 1:
                problems.append(f"{path.relative_to(ROOT)} {function}: {sorted(modules)}")
    assert not problems, "functions composing domain modules (move it to tracker/service):\n" + (
        "\n".join(problems)
    )


def test_the_scan_finds_a_composed_use_case(tmp_path):
    """The scan itself: a front-end function that looks a forecast up and resolves it is caught."""
    sample = tmp_path / "route.py"
    sample.write_text(
        "from tracker import service\n"
        "from tracker.domain import lifecycle, registry\n"
        "def resolve(session, forecast_id):\n"
        "    forecast = registry.get_forecast(session, forecast_id)\n"
        "    lifecycle.resolve(session, forecast, 'yes', actor='x')\n"
        "def thin(session, forecast_id):\n"
        "    return service.resolve_forecast(session, forecast_id, 'yes', actor='x')\n"
    )
    assert domain_calls(sample) == {
        "resolve:3": {"tracker.domain.lifecycle", "tracker.domain.registry"},
        "thin:6": set(),
    }


def test_the_extractor_fetches_nothing_and_stores_nothing():
    """``tracker.extract`` reads a text it is given (the service fetches a page and writes a
    draft): it imports no pipeline stage, no database, no front end, no service."""
    forbidden = (
        "tracker.ingest",
        "tracker.matching",
        "tracker.resolution",
        "tracker.scoring",
        "tracker.reports",
        "tracker.service",
        "tracker.db",
        "tracker.models",
        "tracker.cli",
        "tracker.web",
    )
    offending = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in python_files(ROOT / "tracker" / "extract")
        for module, _names, line in imports(path)
        if any(module == f or module.startswith(f + ".") for f in forbidden)
    ]
    assert not offending, offending


def test_time_enters_through_the_clock():
    offending = []
    for path in python_files(*SOURCES):
        if path.name == "clock.py":
            continue
        source = path.read_text(encoding="utf-8")
        needles = ("datetime.now(", "date.today(", "datetime.utcnow(")
        offending.extend(f"{path.relative_to(ROOT)}: {n}" for n in needles if n in source)
    assert not offending, offending
