"""The one place the version is written: read by setuptools (pyproject's dynamic version), shown
by ``tls12 --version`` and exposed as ``tls12.__version__``."""

__version__ = "0.2.0"
