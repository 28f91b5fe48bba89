"""The package's shape: stage packages, imports only downward, no cycles (function-level imports included)."""

from __future__ import annotations

import ast
from pathlib import Path

import zwgk_xl

PKG = Path(zwgk_xl.__file__).parent

# Layer of each top-level part; a module may import only its own layer and those below.
RANK = {"core": 0, "data": 0, "ledger": 1, "parse": 2, "decompose": 3, "forms": 4, "merge": 5, "report": 6}
MAIL_MAY_USE = {"core", "data", "ledger", "parse", "decompose", "forms", "merge", "mail"}
FRONT_ENDS = {"cli", "demo", "addin", "__init__", "__main__"}
STAGES = ["parse", "decompose", "forms", "merge", "report", "mail"]
SHARED = ["core", "ledger"]


def _modules() -> dict[str, Path]:
    out = {}
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).with_suffix("")
        parts = ["zwgk_xl", *rel.parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules imported anywhere in ``path`` (module level or inside functions)."""
    found = set()
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_pkg else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for t in targets:
            while t and t not in modules:
                t = t.rpartition(".")[0]
            if t and t.startswith("zwgk_xl") and t != name and t != "zwgk_xl":
                found.add(t)
    return found


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_the_package_shows_the_workflow():
    top = {p.name for p in PKG.iterdir() if not p.name.startswith((".", "_")) or p.name == "__init__.py"}
    for pkg in STAGES + SHARED:
        assert (PKG / pkg / "__init__.py").is_file(), pkg
    loose = sorted(p.stem for p in PKG.glob("*.py") if p.stem not in FRONT_ENDS)
    assert len(loose) <= 4, f"too many loose modules at the top of zwgk_xl/: {loose}"
    assert not [p for p in PKG.rglob("*.py") if p.stem in ("utils", "util", "helpers", "misc")]
    assert "cli.py" in top and "demo.py" in top


def test_imports_go_downward_only():
    upward = []
    for mod, deps in _graph().items():
        src = _part(mod)
        if src in FRONT_ENDS:
            continue
        for dep in deps:
            dst = _part(dep)
            if dst in FRONT_ENDS:
                upward.append(f"{mod} -> {dep} (front end)")
            elif src == "mail":
                if dst not in MAIL_MAY_USE:
                    upward.append(f"{mod} -> {dep}")
            elif dst == "mail" or RANK.get(dst, 99) > RANK.get(src, -1):
                upward.append(f"{mod} -> {dep}")
    assert not upward, "upward imports:\n" + "\n".join(sorted(upward))


def test_no_import_cycles():
    graph = _graph()
    # A package's __init__ re-exporting its own modules is not a dependency between modules.
    edges = {m: {d for d in deps if not (m == d.rpartition(".")[0] and (PKG / m.split(".", 1)[-1].replace(".", "/") / "__init__.py").exists())}
             for m, deps in graph.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for n in sorted(edges):
        if n not in state:
            visit(n, [])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_checker_sees_function_level_imports(tmp_path):
    """The walker must find an import inside a function, or the cycle test could never fail."""
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from zwgk_xl.report import render\n", encoding="utf-8")
    modules = _modules()
    assert _imports("zwgk_xl.parse.fake", src, modules) == {"zwgk_xl.report", "zwgk_xl.report.render"}
