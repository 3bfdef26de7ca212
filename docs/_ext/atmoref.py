"""The reference page: one ``automodule`` section per module of the ``atmo`` package.

Every module is in it (settings, URLs, app configs, management commands, the
WSGI entry point, ``__main__`` modules) except migrations, whose code is
Django's generated history, and empty ``__init__.py`` files, which have nothing
to say. Celery tasks are documented by ``celery.contrib.sphinx`` as members of
their module. No Sphinx or Django here, so the test suite can check the list.
"""

from __future__ import annotations

from pathlib import Path

INTRO = [
    "Reference",
    "=========",
    "",
    "Generated from the code's docstrings at each build: every module of the ``atmo``",
    "package but its migrations, with its classes, functions and Celery tasks.",
    "",
]


def atmo_modules(root: Path) -> list[str]:
    """The dotted names of the modules of the ``atmo`` and ``localdev`` packages under ``root``, by path."""
    modules = []
    paths = [*sorted((root / "atmo").rglob("*.py")), *sorted((root / "localdev").rglob("*.py"))]
    for path in paths:
        parts = path.relative_to(root).with_suffix("").parts
        if "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            if not path.read_text().strip():
                continue
            parts = parts[:-1]
        modules.append(".".join(parts))
    return modules


def reference_rst(modules: list[str]) -> str:
    """The text of ``reference.rst`` for these modules."""
    lines = list(INTRO)
    for module in modules:
        lines += [module, "-" * len(module), "", f".. automodule:: {module}", "   :members:"]
        # Settings modules hold values, not classes.
        if not module.startswith("atmo.settings"):
            lines.append("   :show-inheritance:")
        lines.append("")
    return "\n".join(lines)
