"""Type stub of LitData 0.2.76's path ``litdata.utilities.format``, which imports as `litdata.sizes` (see litdata/_old_paths.py)."""

from litdata.sizes import *
from litdata.sizes import parse_size as parse_size
