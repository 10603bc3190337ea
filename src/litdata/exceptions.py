"""Exceptions users catch, at LitData 0.2.76's import path ``litdata.exceptions``."""

from litdata.streaming.sources import ChunkWaitTimeoutError

__all__ = ["ChunkWaitTimeoutError"]
