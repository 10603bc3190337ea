__version__ = "0.2.76"
__author__ = "litdata contributors"
__license__ = "Apache-2.0"
__homepage__ = "https://pypi.org/project/litdata/"
