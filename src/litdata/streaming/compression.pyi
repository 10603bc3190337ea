"""Type stub of LitData 0.2.76's path ``litdata.streaming.compression``, which imports as `litdata.format.compression` (see litdata/_old_paths.py)."""

from litdata.format.compression import *
from litdata.format.compression import COMPRESSION_LEVELS as COMPRESSION_LEVELS
from litdata.format.compression import DEFAULT_FRAME_ROWS as DEFAULT_FRAME_ROWS
from litdata.format.compression import FRAMED_CHUNK_MAGIC as FRAMED_CHUNK_MAGIC
from litdata.format.compression import FRAMED_CHUNK_VERSION as FRAMED_CHUNK_VERSION
from litdata.format.compression import BufferLike as BufferLike
from litdata.format.compression import Compressor as Compressor
from litdata.format.compression import CorruptedChunkError as CorruptedChunkError
from litdata.format.compression import FramedChunkReader as FramedChunkReader
from litdata.format.compression import ZSTDCompressor as ZSTDCompressor
from litdata.format.compression import compress_sample as compress_sample
from litdata.format.compression import decompress_sample as decompress_sample
from litdata.format.compression import get_compressor as get_compressor
from litdata.format.compression import is_framed_chunk as is_framed_chunk
from litdata.format.compression import pack_framed_chunk as pack_framed_chunk
from litdata.format.compression import resolve_compression as resolve_compression
