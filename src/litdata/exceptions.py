"""Exceptions users catch, at LitData 0.2.76's import path ``litdata.exceptions``."""

from litdata.streaming.reading.sources import ChunkWaitTimeoutError

__all__ = ["ChunkWaitTimeoutError"]
