"""Builds the ringkv package's native part with the repository's CMake build.

The extension (_ringkv) and the library it wraps (libringkv.so, the SDK's C ABI) are CMake
targets: this runs CMake on the repository (the directory above this one) for the target
`ringkv_python`, which assembles an importable package in <build>/python/ringkv, and copies
its two shared objects into the package being installed. RINGKV_BUILD_DIR names a build
tree to use (and keep); otherwise a private one under setuptools' build directory is made,
configured with RINGKV_CMAKE_ARGS too, if set (e.g. "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache").
"""

import glob
import os
import shlex
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.environ.get("RINGKV_BUILD_DIR") or os.path.join(os.path.abspath(self.build_temp), "cmake")
        if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
            generator = ["-G", "Ninja"] if shutil.which("ninja") else []
            subprocess.check_call(
                ["cmake", "-S", REPO, "-B", build_dir, *generator, "-DCMAKE_BUILD_TYPE=Release",
                 "-DBUILD_TESTING=OFF", "-DRINGKV_BUILD_BENCH=OFF", f"-DPython3_EXECUTABLE={sys.executable}",
                 *shlex.split(os.environ.get("RINGKV_CMAKE_ARGS", ""))]
            )
        subprocess.check_call(["cmake", "--build", build_dir, "--target", "ringkv_python"])
        built = os.path.join(build_dir, "python", "ringkv")
        target = os.path.dirname(os.path.abspath(self.get_ext_fullpath(ext.name)))
        os.makedirs(target, exist_ok=True)
        extension = glob.glob(os.path.join(built, "_ringkv*.so"))
        if len(extension) != 1:
            raise RuntimeError(f"expected one _ringkv*.so in {built}, found {extension}")
        shutil.copy2(extension[0], self.get_ext_fullpath(ext.name))
        shutil.copy(os.path.join(built, "libringkv.so.1"), os.path.join(target, "libringkv.so.1"))


setup(ext_modules=[CMakeExtension("ringkv._ringkv")], cmdclass={"build_ext": CMakeBuild})
