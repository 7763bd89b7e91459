#!/usr/bin/env python3
"""Set-up and run regiowerk from a fresh checkout with nothing but Python 3.11+.

    python3 dev.py demo    # build the demo region and its report
    python3 dev.py test    # lint, type-check and run the whole test suite

Both create ``.venv`` next to this file on first use (override with ``REGIOWERK_VENV``) and
install the package with its development extras; the installation is repeated only when
``pyproject.toml`` changes. Standard library only.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("REGIOWERK_VENV", ROOT / ".venv"))
STAMP = VENV / ".regiowerk-installed"
DEMO_OUT = ROOT / "demo-output" / "musterregion"


def _bin(name: str) -> Path:
    folder = "Scripts" if os.name == "nt" else "bin"
    return VENV / folder / name


def _run(*args: str | Path) -> None:
    printable = " ".join(str(a) for a in args)
    print(f"$ {printable}", flush=True)
    result = subprocess.run([str(a) for a in args], cwd=ROOT, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_environment() -> None:
    """Create the virtual environment and (re)install the package when needed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be started by an old Python
        found = sys.version.split()[0]
        sys.exit(f"regiowerk braucht Python 3.11 oder neuer (gefunden: {found}).")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if _bin("python").exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not _bin("python").exists():
        print(f"Lege virtuelle Umgebung an: {VENV}", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as exc:  # e.g. Debian without python3-venv
            sys.exit(
                f"Virtuelle Umgebung konnte nicht angelegt werden ({exc}). "
                "Unter Debian/Ubuntu: apt-get install python3-venv"
            )
    _run(_bin("python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _run(_bin("python"), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev]")
    STAMP.write_text(wanted)


def demo(extra: list[str]) -> None:
    """Build the synthetic demo region and write its report."""
    _run(_bin("regiowerk"), "demo", "--out", DEMO_OUT, *extra)


def test(extra: list[str]) -> None:
    """Lint, format check, type check and the whole pytest suite (warnings are errors)."""
    paths = [p for p in ("src", "tests", "benchmarks", "tools", "dev.py") if (ROOT / p).exists()]
    _run(_bin("ruff"), "check", *paths)
    _run(_bin("ruff"), "format", "--check", *paths)
    _run(_bin("mypy"))
    _run(_bin("python"), "-m", "pytest", *extra)


COMMANDS = {"demo": demo, "test": test}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"Aufruf: python3 dev.py {{{'|'.join(COMMANDS)}}} [weitere Argumente]")
    ensure_environment()
    COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
