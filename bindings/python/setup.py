"""Build script: compiles the Rust crate at ../../Cargo.toml into a shared library inside the
package (``mwauth/libmwauth.<python suffix>.so``), which ``mwauth._ffi`` loads with ctypes.

Only an in-tree build is supported (``pip install ./bindings/python`` from the repository, or a
wheel built that way): an sdist would not contain the crate. The wheel is tagged
``py3-none-<platform>``: the package is pure Python over a plain C library, so one wheel serves
every Python 3 on that platform.
"""

import os
import re

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools_rust import Binding, RustExtension

HERE = os.path.dirname(os.path.abspath(__file__))
CARGO_TOML = os.path.join(HERE, "..", "..", "Cargo.toml")

if not os.path.isfile(CARGO_TOML):
    raise SystemExit(
        f"mwauth: the Rust crate is not at {os.path.normpath(CARGO_TOML)}. This package can only be "
        "built inside the mwauth source tree (pip install ./bindings/python from its root); "
        "building from an sdist is not supported."
    )


def cargo_version() -> str:
    """The crate's version, from the [package] table of Cargo.toml."""
    with open(CARGO_TOML, encoding="utf-8") as f:
        match = re.search(r'^version\s*=\s*"([^"]+)"', f.read(), re.MULTILINE)
    if match is None:
        raise SystemExit(f"mwauth: no version in {CARGO_TOML}")
    return match.group(1)


class bdist_wheel_py3(bdist_wheel):
    """Tags the wheel py3-none-<platform>: the library is loaded with ctypes, not as an extension
    module, so it does not depend on the Python version or its ABI. (setuptools-rust subclasses
    whatever bdist_wheel the cmdclass holds, so its own tweaks still apply on top.)"""

    def get_tag(self):
        _python, _abi, plat = super().get_tag()
        return "py3", "none", plat


setup(
    version=cargo_version(),
    rust_extensions=[
        RustExtension(
            "mwauth.libmwauth",
            path="../../Cargo.toml",
            binding=Binding.NoBinding,
            py_limited_api=False,
        )
    ],
    cmdclass={"bdist_wheel": bdist_wheel_py3},
)
