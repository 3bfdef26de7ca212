"""The reference page covers every module of the package, and each has something to say."""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path
from types import ModuleType

from django.apps import apps

from atmo.celery import celery

ROOT = Path(__file__).resolve().parents[2]


def load_atmoref() -> ModuleType:
    """docs/_ext/atmoref.py, which docs/conf.py imports from its own path."""
    spec = importlib.util.spec_from_file_location("atmoref", ROOT / "docs" / "_ext" / "atmoref.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


atmoref = load_atmoref()


def module_path(module: str) -> Path:
    path = ROOT.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def test_every_module_but_migrations_is_in_the_reference() -> None:
    modules = atmoref.atmo_modules(ROOT)
    for expected in (
        "atmo.settings",
        "atmo.settings_test",
        "atmo.urls",
        "atmo.apps",
        "atmo.wsgi",
        "atmo.users.apps",
        "atmo.users.admin",
        "localdev.__main__",
        "atmo.users.management.commands.ensure_admin",
        "atmo.clusters.management.commands.load_emr_releases",
    ):
        assert expected in modules
    assert not [module for module in modules if ".migrations" in module]
    python_files = [
        path
        for package in ("atmo", "localdev")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and path.stat().st_size
    ]
    assert len(modules) == len(python_files)


def test_the_reference_documents_each_module_with_its_members() -> None:
    text = atmoref.reference_rst(["atmo.settings", "atmo.views"])
    assert ".. automodule:: atmo.settings\n   :members:\n\n" in text
    assert ".. automodule:: atmo.views\n   :members:\n   :show-inheritance:\n" in text


def test_every_module_in_the_reference_has_a_docstring() -> None:
    undocumented = [
        module
        for module in atmoref.atmo_modules(ROOT)
        if not ast.get_docstring(ast.parse(module_path(module).read_text()))
    ]
    assert not undocumented, f"give these modules a docstring: {undocumented}"


def test_every_celery_task_has_a_docstring_and_a_module_in_the_reference() -> None:
    # What the worker's autodiscovery imports (without its Django fixup, which runs checks).
    for app in apps.get_app_configs():
        if app.name.startswith("atmo") and importlib.util.find_spec(f"{app.name}.tasks"):
            importlib.import_module(f"{app.name}.tasks")
    modules = set(atmoref.atmo_modules(ROOT))
    tasks = {name: task for name, task in celery.tasks.items() if name.startswith("atmo.")}
    assert "atmo.tasks.cleanup_permissions" in tasks
    for name, task in tasks.items():
        assert (task.__doc__ or "").strip(), f"{name} has no docstring"
        assert name.rpartition(".")[0] in modules, name
