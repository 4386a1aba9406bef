"""The dependency rule the folder layout shows (DESIGN.md, STYLE.md point 12).

core imports nothing from convscope; kernels import core (and config);
frontends import kernels and core; cli uses the public API only.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "convscope"

ALLOWED = {
    "core": set(),
    "kernels": {"core", "config"},
    "functional": {"core", "kernels"},
    "autodiff": {"core", "kernels", "functional", "tf"},
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


#: Layers whose result classes may draw themselves in a notebook (DESIGN: viz renders core and arith).
NOTEBOOK_VIEWS = {"core", "arith"}
#: The only methods in those layers that may import convscope.viz, and only function-locally.
REPR_METHODS = {"_repr_svg_", "_repr_html_"}


def _notebook_imports(tree: ast.AST) -> set[int]:
    """Ids of the ``from convscope.viz import ...`` statements made directly in a ``_repr_*_`` method.

    That one pattern lets a core or arith object render itself in Jupyter
    without the package depending on viz at import time.
    """
    allowed = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in REPR_METHODS:
            for statement in node.body:
                if (
                    isinstance(statement, ast.ImportFrom)
                    and statement.level == 0
                    and statement.module == "convscope.viz"
                ):
                    allowed.add(id(statement))
    return allowed


def _imports(path: Path, source: str | None = None) -> list[str]:
    """Absolute names of the convscope modules a file imports.

    In core and arith, a ``from convscope.viz import ...`` made directly in
    the body of a ``_repr_svg_``/``_repr_html_`` method is not counted.
    """
    tree = ast.parse(path.read_text() if source is None else source)
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    layer = package.split(".")[1] if "." in package else ""
    exempt = _notebook_imports(tree) if layer in NOTEBOOK_VIEWS else set()
    names = []
    for node in ast.walk(tree):
        if id(node) in exempt:
            continue
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


def test_notebook_views_are_the_only_exception() -> None:
    """core/arith import viz only as ``from convscope.viz import`` right in ``_repr_svg_``/``_repr_html_``."""
    core_file = PACKAGE / "core" / "axis.py"
    allowed = (
        "class A:\n"
        "    def _repr_svg_(self):\n"
        "        from convscope.viz import notebook_svg\n"
        "        return notebook_svg(self)\n"
    )
    assert _imports(core_file, allowed) == []
    refused = [
        "from convscope.viz import notebook_svg\n",  # module level
        "import convscope.viz\n",
        "class A:\n    def _repr_svg_(self):\n        import convscope.viz\n",  # not the from-form
        "class A:\n    def _repr_svg_(self):\n        from ..viz import notebook_svg\n",  # relative
        # another method
        "class A:\n    def _repr_png_(self):\n        from convscope.viz import notebook_svg\n",
        "class A:\n    def _repr_svg_(self):\n        from convscope.viz.svg import scene_svg\n",  # submodule
        "class A:\n    def _repr_svg_(self):\n        def inner():\n"
        "            from convscope.viz import notebook_svg\n",  # nested function
    ]
    for source in refused:
        names = _imports(core_file, source)
        assert names and all(n.startswith("convscope.viz") for n in names), source
    # the exception is for core and arith only
    assert _imports(PACKAGE / "kernels" / "conv.py", allowed) == ["convscope.viz"]


def test_tf_pullbacks_register_without_an_import_cycle() -> None:
    """autodiff imports tf (its pullbacks live in autodiff/tf_rules.py) and tf never imports autodiff.

    So ``import convscope`` registers them, and importing ``convscope.tf`` first works too.
    """
    code = (
        "import convscope.tf.nn as nn, sys; from convscope.autodiff.registry import _RULES; "
        "assert nn.conv2d in _RULES; "
        "assert not any(m.startswith('convscope.autodiff') for m in getattr(nn, '__dict__', {}))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    for path in (PACKAGE / "tf").rglob("*.py"):
        assert not [m for m in _imports(path) if m.startswith("convscope.autodiff")], path.name
