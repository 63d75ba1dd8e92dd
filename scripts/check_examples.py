"""Type-check the documented examples with mypy --strict and pyright in strict mode.

    .venv/bin/python scripts/check_examples.py

Collects, so that they cannot drift from what is checked:
  * every ```python block of README.md and docs/**/*.md, and every
    ``.. code-block:: python`` of docs/**/*.rst: the blocks of one page form one module,
    in order, as a reader reads them;
  * the example files the guides include (examples/guides/*.py);
  * a probe that uses every name of ``winkerberos.__all__`` through
    ``from winkerberos import *`` (what users' type checkers see);
and runs both checkers on them against the installed package. Exits non-zero, naming the
file and its source, if either reports anything.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MD_BLOCK = re.compile(r"^( *)```python\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
RST_BLOCK = re.compile(r"^( *)\.\. code-block:: python\n\n((?:\1   .*\n|\n)+)", re.MULTILINE)
# Third-party packages without type information that the guides use: mypy treats them as
# Any instead of failing on their missing stubs (our own API stays fully checked).
UNTYPED = ["ldap3.*", "puresasl.*", "requests_kerberos.*"]


def blocks() -> list[tuple[str, str]]:
    """(origin, code) of every page of the README and the docs that has Python blocks."""
    pages: dict[str, list[str]] = {}
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for match in MD_BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            code = "\n".join(row[len(match.group(1)) :] for row in match.group(2).splitlines())
            pages.setdefault(str(path.relative_to(ROOT)), []).append(f"# line {line}\n{code}\n")
    for path in sorted((ROOT / "docs").rglob("*.rst")):
        text = path.read_text(encoding="utf-8")
        for match in RST_BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            indent = len(match.group(1)) + 3
            code = "\n".join(row[indent:] for row in match.group(2).splitlines())
            pages.setdefault(str(path.relative_to(ROOT)), []).append(
                f"# line {line}\n{code.strip(chr(10))}\n"
            )
    return [(origin, "\n".join(codes)) for origin, codes in pages.items()]


def star_import_probe() -> str:
    import winkerberos

    names = ",\n    ".join(name for name in winkerberos.__all__ if name != "__version__")
    # The rule against star imports from libraries is off here: this file is about what
    # such an import brings in.
    return (
        "# pyright: reportWildcardImportFromLibrary=false\n"
        "from winkerberos import *\n\n"
        f"EVERY_NAME = (\n    {names},\n)\n"
    )


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="wk-examples-") as tmp:
        work = Path(tmp)
        origins = {}
        for index, (origin, code) in enumerate(blocks()):
            name = f"page_{index:02d}.py"
            (work / name).write_text(code, encoding="utf-8")
            origins[name] = origin
        for path in sorted((ROOT / "examples" / "guides").glob("*.py")):
            shutil.copy(path, work / path.name)
            origins[path.name] = str(path.relative_to(ROOT))
        (work / "star_import.py").write_text(star_import_probe(), encoding="utf-8")
        origins["star_import.py"] = "from winkerberos import * (every name of __all__)"
        print("check_examples.py: checking", len(origins), "files:", file=sys.stderr)
        for name, origin in origins.items():
            print(f"  {name}: {origin}", file=sys.stderr)

        (work / "mypy.ini").write_text(
            "[mypy]\nstrict = True\n"
            + "".join(f"\n[mypy-{m}]\nignore_missing_imports = True\n" for m in UNTYPED)
        )
        (work / "pyrightconfig.json").write_text(
            json.dumps(
                {
                    "typeCheckingMode": "strict",
                    "pythonVersion": "3.10",
                    "venvPath": str(BIN.parent.parent),
                    "venv": BIN.parent.name,
                    # Untyped third-party modules: their values are Unknown, which strict
                    # mode reports on every use; only our own API is under test here.
                    "reportMissingTypeStubs": False,
                    "reportUnknownMemberType": False,
                    "reportUnknownVariableType": False,
                    "reportUnknownArgumentType": False,
                }
            )
        )
        files = sorted(origins)
        failed = False
        for command in (
            [str(BIN / "mypy"), "--config-file", "mypy.ini", *files],
            [str(BIN / "pyright"), "--project", "pyrightconfig.json", *files],
        ):
            proc = subprocess.run(command, cwd=work, text=True, capture_output=True, check=False)
            print(proc.stdout + proc.stderr, file=sys.stderr)
            failed |= proc.returncode != 0
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
