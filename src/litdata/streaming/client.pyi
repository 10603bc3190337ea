"""Type stub of LitData 0.2.76's path ``litdata.streaming.client``, which imports as `litdata.streaming.reading.client` (see litdata/_old_paths.py)."""

from litdata.streaming.reading.client import *
from litdata.streaming.reading.client import R2Client as R2Client
from litdata.streaming.reading.client import S3Client as S3Client
