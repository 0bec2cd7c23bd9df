"""Count function-local imports (Import/ImportFrom nodes inside function bodies) per file.

Usage: python -m benchmarks.local_imports [paths...]   (default: app models pipelines)
Prints one line per file with a count, then the total and the number of files.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def local_imports(source: str) -> list[int]:
    """Return the line numbers of the import statements that stand inside a function body."""
    lines: list[int] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    lines.append(inner.lineno)
    return sorted(set(lines))


def main(argv: list[str] | None = None) -> None:
    roots = [Path(p) for p in (argv if argv else ["app", "models", "pipelines"])]
    total = files = 0
    for root in roots:
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            found = local_imports(path.read_text())
            if found:
                files += 1
                total += len(found)
                print(f"{len(found):3d}  {path}")
    print(f"total {total} function-local imports in {files} files")


if __name__ == "__main__":
    main(sys.argv[1:])
