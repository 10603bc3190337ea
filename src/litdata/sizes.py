"""Human-friendly byte sizes: parse ``"64MB"``-style strings and print byte counts."""

from __future__ import annotations

import re

# Decimal (1000-based) multipliers, as LitData uses for ``chunk_bytes`` and ``max_cache_size``.
_UNIT_MULTIPLIERS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "t": 1000**4,
    "tb": 1000**4,
}
_SIZE_PATTERN = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$", re.IGNORECASE)
_DISPLAY_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def _convert_bytes_to_int(bytes_str: str) -> int:
    """Convert a decimal size string such as ``"64MB"``, ``"1.5 gb"`` or ``"500k"`` to a number of bytes."""
    match = _SIZE_PATTERN.match(bytes_str) if isinstance(bytes_str, str) else None
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNIT_MULTIPLIERS:
        valid = ", ".join(unit for unit in _UNIT_MULTIPLIERS if unit)
        raise ValueError(
            f"Cannot parse the size {bytes_str!r}: expected a number followed by one of the decimal units {valid}"
            " (case-insensitive), e.g. chunk_bytes='64MB'."
        )
    return int(float(match.group(1)) * _UNIT_MULTIPLIERS[unit])


def _human_readable_bytes(num_bytes: float) -> str:
    """Format a byte count with a decimal unit, e.g. ``1500`` → ``"1.5 KB"``."""
    value = float(num_bytes)
    for unit in _DISPLAY_UNITS[:-1]:
        if abs(value) < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} {_DISPLAY_UNITS[-1]}"


def parse_size(value: int | float | str | None) -> int | None:
    """Normalize a size given as bytes (int/float) or a size string (``"64MB"``) to an int; ``None`` stays ``None``."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"Cannot use {value!r} as a size in bytes; pass an int or a string such as '64MB'.")
    if isinstance(value, str):
        return _convert_bytes_to_int(value)
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"A size in bytes cannot be negative, got {value!r}; pass e.g. '64MB'.")
        return int(value)
    raise ValueError(f"Cannot use {value!r} (type {type(value).__name__}) as a size; pass an int or e.g. '64MB'.")
