"""The layout's rules, read from the source with `ast`: every import points down a floor,
no module imports itself back through others, and nothing happens at import.

Floors, top to bottom (a module may import its own floor and those below):
    train_model.py, plot_results.py, benchmarks/   the scripts
    experiments/                                   plan -> execute -> summarize
    plotting/, training/                           figures; one run
    analysis/                                      the result files (pure Python)
    optimizers/, models/, data/                    the ground floor
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("analysis", "training", "experiments", "plotting", "optimizers", "models", "data")
# What each package may import of the others.
ALLOWED = {
    "analysis": set(),
    "training": {"analysis", "optimizers", "models", "data"},
    "plotting": {"analysis", "optimizers"},  # the landscape figure runs the optimizers
    "experiments": {"analysis", "training", "optimizers", "models", "data"},
    "optimizers": set(),
    "models": set(),
    "data": set(),
}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imported(path: Path, known: dict) -> set[str]:
    """The project modules `path` imports anywhere in it (functions included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name in known}


GRAPH = {name: imported(path, modules()) - {name} for name, path in modules().items()}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down(module):
    package = module.split(".")[0]
    others = {name.split(".")[0] for name in GRAPH[module]} - {package}
    assert others <= ALLOWED[package], f"{module} imports {sorted(others - ALLOWED[package])}"


def test_no_import_cycles():
    def visit(name, path):
        if name in path:
            cycle = path[path.index(name):] + [name]
            raise AssertionError(" -> ".join(cycle))
        for other in sorted(GRAPH[name]):
            if other not in done:
                visit(other, [*path, name])
        done.add(name)

    done: set[str] = set()
    for name in sorted(GRAPH):
        visit(name, [])


def module_level_statements(tree):
    """What runs at import: every top-level statement but definitions."""
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for node in tree.body:
        if not isinstance(node, definitions):
            yield node


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_no_environment_changes_at_import(module):
    tree = ast.parse(modules()[module].read_text())
    for node in module_level_statements(tree):
        assert "os.environ" not in ast.unparse(node), f"{module} changes os.environ at import"


def test_the_rules_see_imports():
    # Guards the reader above: known imports are found.
    assert "analysis.history" in GRAPH["training.runner"]
    assert "training.runner" in GRAPH["training.preflight"]
    assert "analysis.run_config" in GRAPH["analysis.history"]


def test_the_experiment_side_and_the_model_registry_import_no_tensorflow():
    # Keras comes in only when a run is built or trained, not when an experiment is read.
    code = ("import sys, experiments.plan, experiments.driver, models; "
            "assert models.MODELS; "
            "print(sorted({'keras', 'tensorflow'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
