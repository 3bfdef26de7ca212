"""Print the prose figures of atmo/ (issue 9, item 10).

Counts every function and method (async included) in atmo/ without migrations,
how many of them have a docstring, and the total number of lines.

    python bin/prose_figures.py [ROOT]
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def figures(root: Path) -> tuple[int, int, int]:
    """Return (lines, functions, functions with a docstring) under root."""
    lines = functions = documented = 0
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        source = path.read_text()
        lines += len(source.splitlines())
        for node in ast.walk(ast.parse(source, filename=str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions += 1
                documented += ast.get_docstring(node) is not None
    return lines, functions, documented


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "atmo")
    lines, functions, documented = figures(root)
    share = 100 * documented / functions if functions else 0.0
    print(f"lines (without migrations): {lines}")
    print(f"functions and methods:      {functions}")
    print(f"with a docstring:           {documented} ({share:.1f} %)")


if __name__ == "__main__":
    main()
