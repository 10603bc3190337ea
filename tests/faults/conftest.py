"""Fixtures of the fault-injection suite (defined in fault_support.py)."""

from fault_support import bucket, moto_url  # noqa: F401
