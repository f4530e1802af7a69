from setuptools import setup

setup(
    name="mcheck-sample-setup-py-literal-lists",
    version="0.3.0",
    description="mcheck sample: setup.py lists its packages by hand and forgets one, and its data",
    python_requires=">=3.9",
    packages=[
        "shop",
    ],
)
