"""Builds the optional C search loop (bot/_scoring.c); everything else is in pyproject.toml.

Optional: without a C compiler the install still succeeds, and bot/index.py serves the same
answers, to the last bit, with numpy (its search about three times slower at 100,000
passages, a whole answer 1.5-2 times).
"""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class BuildExt(build_ext):
    def build_extensions(self) -> None:
        if self.compiler.compiler_type == "unix":
            # Never fuse a multiply into an add: scores must equal rank-bm25's to the last bit.
            for extension in self.extensions:
                extension.extra_compile_args += ["-O2", "-ffp-contract=off"]
        super().build_extensions()


setup(
    ext_modules=[Extension("bot._scoring", ["bot/_scoring.c"], optional=True)],
    cmdclass={"build_ext": BuildExt},
)
