"""The built extension: linked against no Kerberos library, typed, and importable alone."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import winkerberos
from winkerberos import _native


def _needed(path: Path) -> list[str]:
    out = subprocess.run(
        ["readelf", "-d", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def test_extension_does_not_link_kerberos() -> None:
    needed = _needed(Path(_native.__file__))
    assert needed, "readelf found no NEEDED entries at all"
    assert not [lib for lib in needed if re.search(r"krb5|gssapi|k5crypto|com_err", lib)], needed


def test_package_ships_type_information() -> None:
    package = Path(winkerberos.__file__).parent
    assert (package / "py.typed").exists()
    assert (package / "_native.pyi").exists()


def test_public_names_are_all_exported() -> None:
    missing = [name for name in winkerberos.__all__ if not hasattr(winkerberos, name)]
    assert missing == []
    native = {n for n in dir(_native) if not n.startswith("_")}
    assert native <= set(winkerberos.__all__), native - set(winkerberos.__all__)
