# `__version__` is the LitData release whose public API and on-disk format this package implements, so code that
# checks LitData's version for a feature keeps working. The implementation's own identity and release follow.
__version__ = "0.2.76"
__implementation__ = "litdata-oss"
__implementation_version__ = "0.3.0"
__author__ = "litdata contributors"
__license__ = "Apache-2.0"
__homepage__ = "https://pypi.org/project/litdata/"
