from setuptools import Extension, setup

setup(ext_modules=[Extension("platform_ext._speed", ["src/platform_ext/_speed.c"])])
