"""The type information users see: ``__all__``, and the stubs' docstrings against help().

Written over whatever names the modules define, so a function, class or exception added
later (to the Rust module or to _errors.py) is checked without editing this file: it must
be in the package's literal ``__all__``, in the stubs, and documented in both alike.
"""

from __future__ import annotations

import ast
import inspect
import types
from pathlib import Path
from typing import Any

import pytest
import winkerberos
from winkerberos import _errors, _native

STUB = Path(_native.__file__).with_name("_native.pyi")


def _own_functions() -> set[str]:
    """The public functions written in winkerberos/__init__.py itself."""
    return {
        name
        for name, value in vars(winkerberos).items()
        if isinstance(value, types.FunctionType)
        and value.__module__ == "winkerberos"
        and not name.startswith("_")
    }


def test_package_all_is_exactly_the_submodules_names() -> None:
    # mypy and pyright read only a literal __all__; this keeps it complete and exact.
    expected = set(_native.__all__) | set(_errors.__all__) | _own_functions()
    assert len(winkerberos.__all__) == len(set(winkerberos.__all__)), "duplicates in __all__"
    assert sorted(set(winkerberos.__all__) - expected) == [], "in __all__ but defined nowhere"
    assert sorted(expected - set(winkerberos.__all__)) == [], "missing from winkerberos.__all__"
    assert "install_as_kerberos" in winkerberos.__all__


def test_native_all_lists_every_public_name_of_the_module() -> None:
    public = {name for name in dir(_native) if not name.startswith("_")} | {"__version__"}
    assert set(_native.__all__) == public


def _stub_definitions() -> dict[str, ast.FunctionDef | ast.ClassDef]:
    """Every function, class and method of _native.pyi, by qualified name."""
    found: dict[str, ast.FunctionDef | ast.ClassDef] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                found[prefix + node.name] = node
                if isinstance(node, ast.ClassDef):
                    visit(node.body, f"{node.name}.")

    visit(ast.parse(STUB.read_text(encoding="utf-8")).body, "")
    return found


def _runtime_definitions() -> dict[str, Any]:
    """Every function and class of the native module, and their public members.

    The exported names, plus the private helpers of the doctor (``_library_info``, ...): they
    are left out of ``__all__`` but are typed in the stubs all the same.
    """
    found: dict[str, Any] = {}
    private = [n for n in vars(_native) if n.startswith("_") and not n.startswith("__")]
    for name in [*_native.__all__, *private]:
        value = getattr(_native, name)
        if isinstance(value, type):
            found[name] = value
            for member, attribute in vars(value).items():
                if not member.startswith("_"):
                    found[f"{name}.{member}"] = attribute
        elif callable(value):
            found[name] = value
    return found


def test_stubs_define_exactly_the_runtime_functions_and_classes() -> None:
    assert sorted(_stub_definitions()) == sorted(_runtime_definitions())


@pytest.mark.parametrize("name", sorted(_runtime_definitions()))
def test_stub_docstring_is_the_one_help_shows(name: str) -> None:
    runtime = _runtime_definitions()[name]
    stub = _stub_definitions().get(name)
    assert stub is not None, f"{name} is missing from {STUB.name}"
    runtime_doc = inspect.cleandoc(runtime.__doc__ or "")
    assert runtime_doc, f"{name} has no doc comment in crates/winkerberos-python"
    stub_doc = ast.get_docstring(stub, clean=True)
    assert stub_doc == runtime_doc, (
        f"the docstring of {name} in {STUB.name} differs from its Rust doc comment "
        "(what help() shows): copy the doc comment into the stub"
    )


@pytest.mark.parametrize("name", sorted(winkerberos.__all__))
def test_every_public_function_and_class_is_documented(name: str) -> None:
    value = getattr(winkerberos, name)
    if callable(value):
        assert (inspect.getdoc(value) or "").strip(), f"winkerberos.{name} has no docstring"


@pytest.mark.parametrize(
    "name", sorted(n for n in _errors.__all__ if isinstance(getattr(_errors, n), type))
)
def test_every_exception_documents_its_attributes(name: str) -> None:
    cls = getattr(_errors, name)
    assert issubclass(cls, Exception)
    lines = [line.strip() for line in inspect.getsource(cls).splitlines()]
    for attribute in cls.__annotations__:
        # Each attribute carries a `#:` comment just above it, which autodoc shows.
        where = next(i for i, line in enumerate(lines) if line.startswith(f"{attribute}:"))
        assert lines[where - 1].startswith("#: "), f"{name}.{attribute} has no #: comment"
