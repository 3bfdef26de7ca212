"""``.env-dist`` lists, with its own comment and default, every variable ATMO reads.

The docs' configuration tables are built from it (``docs/_ext/envtable.py``),
so these tests keep the docs true as well: the settings, ``bin/run``, the
``Procfile``, the local stack (``localdev``) and the image's build
arguments read no variable it leaves out, and it lists none they don't read.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
READERS = {"envraw", "envstr", "envbool", "envint", "envfloat", "envlist"}
#: Standard variables of Python, Django and the shell, which ATMO does not configure.
NOT_ATMO_SETTINGS = {"PATH", "HOME", "PYTHONUNBUFFERED", "DJANGO_SETTINGS_MODULE", "BASH_SOURCE"}
#: Names under which localdev code reads the environment mapping.
ENVIRONMENT_MAPPINGS = {"env", "environ", "environment"}


def load_envdist() -> ModuleType:
    """docs/_ext/envdist.py, which the docs build imports from its own path."""
    spec = importlib.util.spec_from_file_location("envdist", ROOT / "docs" / "_ext" / "envdist.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("envdist", module)
    spec.loader.exec_module(module)
    return module


envdist = load_envdist()


def env_dist() -> dict[str, object]:
    return {variable.name: variable for variable in envdist.parse_env_dist(ROOT / ".env-dist")}


def reader_calls() -> Iterator[ast.Call]:
    """The calls of the env readers in atmo/settings.py whose variable name is a literal."""
    for node in ast.walk(ast.parse((ROOT / "atmo" / "settings.py").read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in READERS
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            yield node


def variables_read_by_settings() -> set[str]:
    return {call.args[0].value for call in reader_calls()}


def variables_read_by_scripts() -> set[str]:
    """``$NAME``/``${NAME`` in bin/run and the Procfile, and the Dockerfile's ``ARG``s."""
    names = set()
    for script in ("bin/run", "Procfile"):
        names |= set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", (ROOT / script).read_text()))
    names |= set(re.findall(r"^ARG ([A-Z][A-Z0-9_]*)", (ROOT / "Dockerfile").read_text(), re.M))
    return names - NOT_ATMO_SETTINGS


def _is_environment(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in ENVIRONMENT_MAPPINGS
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def _constant_strings(nodes: list[ast.expr | None]) -> set[str]:
    return {node.value for node in nodes if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def variables_read_by_localdev() -> set[str]:
    """What the local stack reads: ``env["X"]``, ``env.get("X")``, ``os.environ...``, and the
    variable names in its ``*DEFAULTS`` (keys) and ``*ENV_VARS`` (values) tables."""
    names: set[str] = set()
    for path in (ROOT / "localdev").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Subscript) and _is_environment(node.value):
                names |= _constant_strings([node.slice])
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"get", "setdefault", "pop"}
                and _is_environment(node.func.value)
                and node.args
            ):
                names |= _constant_strings([node.args[0]])
            elif isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Dict):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    name = target.id if isinstance(target, ast.Name) else ""
                    if name.endswith("DEFAULTS"):
                        names |= _constant_strings(list(node.value.keys))
                    elif name.endswith("ENV_VARS"):
                        names |= _constant_strings(list(node.value.values))
    return names - NOT_ATMO_SETTINGS


def test_every_variable_the_settings_read_is_in_env_dist() -> None:
    missing = variables_read_by_settings() - env_dist().keys()
    assert not missing, f"add these to .env-dist with a comment: {sorted(missing)}"


def test_every_variable_bin_run_the_procfile_and_the_image_build_read_is_in_env_dist() -> None:
    assert {"PORT", "WEB_CONCURRENCY", "DEVELOPMENT", "VERSION"} <= variables_read_by_scripts()
    missing = variables_read_by_scripts() - env_dist().keys()
    assert not missing, f"add these to .env-dist with a comment: {sorted(missing)}"


def test_every_variable_the_local_stack_reads_is_in_env_dist() -> None:
    assert {"ATMO_LOCAL_ADMIN_EMAIL", "AWS_ENDPOINT_URL", "AWS_CODE_BUCKET"} <= variables_read_by_localdev()
    missing = variables_read_by_localdev() - env_dist().keys()
    assert not missing, f"add these to .env-dist with a comment: {sorted(missing)}"


def test_env_dist_lists_no_variable_that_nothing_reads() -> None:
    read = variables_read_by_settings() | variables_read_by_scripts() | variables_read_by_localdev()
    # boto3 reads the credentials itself; the local stack only sets them.
    read |= {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    stale = env_dist().keys() - read
    assert not stale, f"nothing reads these any more, remove them from .env-dist: {sorted(stale)}"


def test_every_variable_has_a_comment_of_its_own_with_its_default() -> None:
    # parse_env_dist refuses a variable without its own comment or without a default.
    for variable in env_dist().values():
        assert variable.meaning and variable.default, variable.name


def test_variables_deployed_processes_read_are_not_filed_as_local_only() -> None:
    variables = env_dist()
    deployed = variables_read_by_settings() | {"PORT", "WEB_CONCURRENCY", "DEVELOPMENT"}
    local_only = {name for name, variable in variables.items() if variable.section.startswith("Local")}
    assert not deployed & local_only


def _literal(node: ast.expr) -> object:
    """The value of a literal or of arithmetic on literals (``60 * 60``); None for anything else."""
    if not all(isinstance(part, ast.Constant | ast.BinOp | ast.operator) for part in ast.walk(node)):
        return None
    return eval(compile(ast.Expression(node), "<default>", "eval"), {"__builtins__": {}})  # noqa: S307


def _spelled(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def test_documented_defaults_match_the_settings_literal_defaults() -> None:
    variables = env_dist()
    checked = 0
    for call in reader_calls():
        default = _literal(call.args[1]) if len(call.args) > 1 else None
        if default in (None, ""):
            continue  # no default, or one that depends on the environment: checked by reading
        documented = variables[call.args[0].value].default.lower()
        assert _spelled(default).lower() in documented, (call.args[0].value, default, documented)
        checked += 1
    assert checked >= 20


# --- The parser -------------------------------------------------------------------


def parse(tmp_path: Path, text: str) -> list[object]:
    path = tmp_path / ".env-dist"
    path.write_text(text)
    return envdist.parse_env_dist(path)


def test_the_parser_reads_section_default_meaning_and_required(tmp_path: Path) -> None:
    first, second = parse(
        tmp_path,
        "# --- Stores ---\n"
        "# A note about the section, not about a variable.\n"
        "\n"
        "# [required in stage/prod] The database,\n"
        "# as a URL.\n"
        "# Default: SQLite locally.\n"
        "DATABASE_URL=\n"
        "# Keep connections open this long.\n"
        "# Default: 60 deployed,\n"
        "# 0 locally.\n"
        "DATABASE_CONN_MAX_AGE=0\n",
    )
    assert first == envdist.EnvVariable(
        section="Stores",
        name="DATABASE_URL",
        example="",
        default="SQLite locally.",
        meaning="The database, as a URL.",
        required=True,
    )
    assert (second.name, second.example, second.default, second.meaning, second.required) == (
        "DATABASE_CONN_MAX_AGE",
        "0",
        "60 deployed, 0 locally.",
        "Keep connections open this long.",
        False,
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("# Shared.\n# Default: 1.\nFIRST=\nSECOND=\n", "SECOND has no comment of its own"),
        ("# Detached.\n# Default: 1.\n\nLONELY=\n", "LONELY has no comment of its own"),
        ("# No default stated.\nVAGUE=\n", "VAGUE's comment needs one 'Default:' line, has 0"),
        ("# Default: 1.\nTERSE=\n", "TERSE's comment says only its default"),
        ("# Fine.\n# Default: 1.\nGOOD=\nnot a variable\n", "neither a comment nor NAME=value"),
    ],
)
def test_the_parser_refuses_a_variable_without_its_own_comment(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(envdist.EnvDistError, match=re.escape(message)):
        parse(tmp_path, text)


def test_a_copy_of_env_dist_keeps_the_local_stack_working() -> None:
    """`make run` lets .env win over its own defaults: .env-dist must not contradict them."""
    from localdev.__main__ import LOCAL_DEFAULTS

    for name, variable in env_dist().items():
        if variable.example and name in LOCAL_DEFAULTS:
            assert variable.example == LOCAL_DEFAULTS[name], name
