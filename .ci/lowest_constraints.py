"""Print a pip constraints file that pins every runtime dependency of litdata (core, `extras` and `jpeg`) to the lowest
version pyproject.toml allows, so `make test-oldest` checks the floors we promise.

Every such dependency must have a `>=` floor: one without fails here, naming it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib

_FLOOR = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*>=\s*([^,;\s]+)")


def lowest_pins(pyproject: Path) -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    extras = project["optional-dependencies"]
    requirements = list(project["dependencies"]) + list(extras["extras"]) + list(extras["jpeg"])
    pins = []
    for requirement in requirements:
        match = _FLOOR.match(requirement)
        if match is None:
            raise SystemExit(
                f"{requirement!r} in pyproject.toml has no '>=' floor; give it the lowest version that passes"
            )
        pins.append(f"{match.group(1)}=={match.group(3)}")
    return pins


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    sys.stdout.write("".join(pin + "\n" for pin in lowest_pins(root / "pyproject.toml")))
