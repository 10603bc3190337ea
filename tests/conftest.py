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
