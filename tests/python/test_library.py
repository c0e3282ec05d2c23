"""Where the shared library is found: MWAUTH_LIBRARY, then a copy inside the package, then a
source checkout's target/release, then ctypes.util.find_library; a clear error otherwise. Each
case runs in a fresh interpreter, since the library is loaded once, at import."""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import mwauth

PACKAGE = Path(mwauth.__file__).resolve().parent
SOURCES = sorted(PACKAGE.glob("*.py")) + [PACKAGE / "py.typed"]


def run(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("MWAUTH_LIBRARY", "PYTHONPATH")}
    environment.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=environment, capture_output=True, text=True)


WHERE = "import mwauth; print(mwauth.library_path()); print(mwauth.version())"


def copy_package(to: Path, with_library: bool = False) -> Path:
    """The package's Python files (and optionally its library) in `to`/mwauth."""
    package = to / "mwauth"
    package.mkdir(parents=True)
    for f in SOURCES:
        shutil.copy(f, package)
    if with_library:
        shutil.copy(mwauth.library_path(), package / "libmwauth.so")
    return package


def test_the_installed_package_uses_its_own_copy(tmp_path):
    copies = sorted(PACKAGE.glob("libmwauth*.so*"))
    if os.environ.get("MWAUTH_TEST_BUNDLED") == "1":  # tests/python/run.sh: pip install built one in
        assert copies, f"no libmwauth*.so* in {PACKAGE}"
    out = run(WHERE, tmp_path)
    assert out.returncode == 0, out.stderr
    if copies:
        assert Path(out.stdout.splitlines()[0]) in copies
    assert out.stdout.splitlines()[1] == mwauth.version()


def test_mwauth_library_wins(tmp_path):
    custom = tmp_path / "elsewhere" / "libmwauth-custom.so"
    custom.parent.mkdir()
    shutil.copy(mwauth.library_path(), custom)
    out = run(WHERE, tmp_path, MWAUTH_LIBRARY=str(custom))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == str(custom)


def test_a_bogus_mwauth_library_is_an_error_naming_the_places(tmp_path):
    bogus = tmp_path / "no-such-dir" / "libmwauth.so"
    out = run(WHERE, tmp_path, MWAUTH_LIBRARY=str(bogus))
    assert out.returncode != 0
    assert "LibraryNotFoundError" in out.stderr
    assert "$MWAUTH_LIBRARY" in out.stderr and str(bogus) in out.stderr
    # ...and says which places it did not search because of it.
    assert str(PACKAGE) in out.stderr
    assert 'find_library("mwauth")' in out.stderr
    # A file that is not a library: the loader's reason is part of the message.
    text = tmp_path / "not-a-library.so"
    text.write_text("not a shared library\n" * 10)
    out = run("import mwauth", tmp_path, MWAUTH_LIBRARY=str(text))
    assert out.returncode != 0 and str(text) in out.stderr and "invalid ELF header" in out.stderr
    # It is an ImportError, so `except ImportError` works for programs with an optional binding.
    out = run("try:\n import mwauth\nexcept ImportError as e:\n print('caught', type(e).__name__)", tmp_path,
              MWAUTH_LIBRARY=str(bogus))
    assert out.stdout.strip() == "caught LibraryNotFoundError"


def test_a_source_checkout_uses_target_release(tmp_path):
    repo = tmp_path / "checkout"
    copy_package(repo / "bindings" / "python")
    (repo / "Cargo.toml").write_text('[package]\nname = "mwauth"\n')
    (repo / "include").mkdir()
    (repo / "include" / "mwauth.h").write_text("/* */\n")
    release = repo / "target" / "release"
    release.mkdir(parents=True)
    shutil.copy(mwauth.library_path(), release / "libmwauth.so")
    out = run(WHERE, tmp_path, PYTHONPATH=str(repo / "bindings" / "python"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == str(release / "libmwauth.so")
    # A copy inside the package comes before the checkout's.
    shutil.copy(mwauth.library_path(), repo / "bindings" / "python" / "mwauth" / "libmwauth.cpython-311-x.so")
    out = run(WHERE, tmp_path, PYTHONPATH=str(repo / "bindings" / "python"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == str(repo / "bindings" / "python" / "mwauth" / "libmwauth.cpython-311-x.so")


def test_nowhere_is_an_error_listing_every_place(tmp_path):
    package = copy_package(tmp_path / "site")
    out = run(WHERE, tmp_path, PYTHONPATH=str(tmp_path / "site"), LD_LIBRARY_PATH="")
    if ctypes.util.find_library("mwauth") is not None:  # installed system-wide: that one is used
        assert out.returncode == 0, out.stderr
        return
    assert out.returncode != 0
    message = out.stderr
    assert "1. $MWAUTH_LIBRARY: not set" in message
    assert f"2. inside the package: no {package}/libmwauth*.so*" in message
    assert "3. the source checkout's target/release" in message
    assert '4. ctypes.util.find_library("mwauth"): nothing found' in message
    assert "pip install ./bindings/python" in message
