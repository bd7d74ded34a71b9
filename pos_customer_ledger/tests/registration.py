"""Which test modules a tests/ package leaves out of its __init__.py.

Odoo's test runner runs only the test modules the package imports, so a test file
that is not imported never runs there. Pure Python, so that the lint step can run it
without Odoo: python pos_customer_ledger/tests/registration.py ADDON/tests...
"""

import ast
import sys
from pathlib import Path


def imported_modules(tests_dir):
    """Names of the submodules that tests_dir/__init__.py imports."""
    tree = ast.parse(Path(tests_dir, "__init__.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                names.add(node.module.split(".")[0])
            else:
                names.update(alias.name for alias in node.names)
    return names


def unregistered_test_modules(tests_dir):
    """The test_*.py files of tests_dir that its __init__.py does not import."""
    files = {path.stem for path in Path(tests_dir).glob("test_*.py")}
    return sorted(files - imported_modules(tests_dir))


if __name__ == "__main__":
    missing = [
        f"{Path(tests_dir, name)}.py"
        for tests_dir in sys.argv[1:]
        for name in unregistered_test_modules(tests_dir)
    ]
    if missing:
        sys.exit("Test modules missing from their tests/__init__.py: " + ", ".join(missing))
