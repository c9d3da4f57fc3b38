"""The package's one compiled part: optional loops for pseudonymising identifiers.

Everything else is in ``pyproject.toml``. Without a C compiler the install still succeeds
(``optional=True``) and klantladder uses the NumPy implementation of the same functions.
"""

import sys

from setuptools import Extension, setup

setup(ext_modules=[Extension("klantladder._native", ["klantladder/_native.c"], optional=True,
                             extra_compile_args=[] if sys.platform == "win32" else ["-O3"])])
