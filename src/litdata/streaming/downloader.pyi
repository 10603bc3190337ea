"""Type stub of LitData 0.2.76's path ``litdata.streaming.downloader``, which imports as `litdata.storage.downloader` (see litdata/_old_paths.py)."""

from litdata.storage.downloader import *
from litdata.storage.downloader import AzureDownloader as AzureDownloader
from litdata.storage.downloader import Downloader as Downloader
from litdata.storage.downloader import FsspecDownloader as FsspecDownloader
from litdata.storage.downloader import GCPDownloader as GCPDownloader
from litdata.storage.downloader import HFDownloader as HFDownloader
from litdata.storage.downloader import LocalDownloader as LocalDownloader
from litdata.storage.downloader import LocalDownloaderWithCache as LocalDownloaderWithCache
from litdata.storage.downloader import R2Downloader as R2Downloader
from litdata.storage.downloader import S3Downloader as S3Downloader
from litdata.storage.downloader import StorageDownloader as StorageDownloader
from litdata.storage.downloader import get_downloader as get_downloader
from litdata.storage.downloader import register_downloader as register_downloader
from litdata.storage.downloader import unregister_downloader as unregister_downloader
