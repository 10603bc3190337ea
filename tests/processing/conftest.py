import os
import sys

# Spawned optimize/map workers import the user functions by module name (`processing_fns`); spawn passes the parent's
# sys.path to its children, so putting this folder on it is enough.
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
