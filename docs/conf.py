"""Sphinx configuration of the ATMO documentation."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atmo.settings_test")

import django  # noqa: E402

django.setup()

project = "ATMO"
author = "The ATMO team"
copyright = "2026, the ATMO team"  # noqa: A001
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "celery.contrib.sphinx",
    "myst_parser",
    "envtable",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
html_static_path = ["_static"]
suppress_warnings = ["myst.header"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
autodoc_member_order = "bysource"
# Inherited docstrings (Celery's Task attributes) use roles only Celery's own docs define.
autodoc_inherit_docstrings = False
autodoc_use_legacy_class_based = True  # what celery.contrib.sphinx needs on Sphinx 9

# --- The reference: every module of the atmo package, generated at each build -----

from atmoref import atmo_modules, reference_rst  # noqa: E402

(Path(__file__).resolve().parent / "reference.rst").write_text(reference_rst(atmo_modules(ROOT)))
