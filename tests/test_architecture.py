"""The dependency rule the folder layout shows (DESIGN.md, STYLE.md point 12).

core imports nothing from convscope; kernels import core (and config);
frontends import kernels and core; cli uses the public API only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "convscope"

ALLOWED = {
    "core": set(),
    "kernels": {"core", "config"},
    "functional": {"core", "kernels"},
    "autodiff": {"core", "kernels", "functional"},
    "nn": {"core", "functional"},
    "arith": {"core"},
    "tf": {"core", "kernels", "functional"},
    "viz": {"core", "arith", "functional"},
    "cli": {"<public>"},
    "web": {"<public>"},
}
PUBLIC = {
    "convscope",
    "convscope.functional",
    "convscope.core",
    "convscope.nn",
    "convscope.arith",
    "convscope.tf",
    "convscope.viz",
    "convscope.web",
}


def _imports(path: Path) -> list[str]:
    """Absolute names of the convscope modules a file imports."""
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if node.module is None:  # `from .. import functional` names modules
                names.extend(f"{module}.{alias.name}" for alias in node.names)
            else:
                names.append(module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return [n for n in names if n == "convscope" or n.startswith("convscope.")]


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"no modules in {layer}"
    for path in files:
        for module in _imports(path):
            parts = module.split(".")
            target = parts[1] if len(parts) > 1 else "<root>"
            if target == layer:
                continue
            if ALLOWED[layer] == {"<public>"}:
                assert module in PUBLIC, f"{path.name} imports {module}, not public API"
            else:
                assert target in ALLOWED[layer], f"{path.name} ({layer}) imports {module}"


def test_no_output_size_formula_outside_core() -> None:
    """One geometry: the output-size formula is written once, in core/axis.py."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name == "core":
            continue
        code = path.read_text()
        if "// stride + 1" in code or "// self.stride + 1" in code or "- 1) // " in code:
            offenders.append(path.name)
    assert offenders == []
