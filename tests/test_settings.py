"""litdata.settings: every environment variable declared once, one parser, and the generated reference page."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from litdata import settings
from litdata.constants import default_cache_root
from litdata.settings import environment_markdown, parse
from litdata.storage.s3 import find_s5cmd
from litdata.streaming.reading.sources import max_wait_time
from litdata.utilities.dataset_utilities import get_default_cache_dir

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "src" / "litdata"
PAGE = REPO / "docs" / "reference" / "environment.md"
ENV_ACCESS = re.compile(r"(?<![\w.])os\.environ\b|\bgetenv\b|from os import")
ALLOWED_WRITE = re.compile(r"os\.environ(\.update\(|\[[^\]]+\]\s*=[^=])")


def test_the_checked_in_environment_page_is_what_the_generator_writes():
    assert PAGE.read_text() == environment_markdown(), "run: python docs/reference/make_environment.py"


def test_the_generator_script_writes_the_page(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "docs" / "reference" / "make_environment.py"), str(tmp_path / "env.md")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "env.md").read_text() == PAGE.read_text()


def test_the_page_lists_every_declared_variable_once():
    text = environment_markdown()
    for setting in settings.all_settings():
        assert text.count(f"| `{setting.name}` |") == 1


def test_no_module_reads_the_environment_except_settings():
    offenders = []
    for path in sorted(SOURCES.rglob("*.py")):
        if path.name == "settings.py" and path.parent == SOURCES:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for match in ENV_ACCESS.finditer(line):
                if not ALLOWED_WRITE.match(line, match.start()):
                    offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not offenders, "read these through litdata.settings:\n" + "\n".join(offenders)


@pytest.mark.parametrize("text", ["1", "true", "TRUE", "Yes", "on", " on "])
def test_true_spellings_parse_as_true(text):
    assert parse("X", "bool", text) is True


@pytest.mark.parametrize("text", ["0", "false", "False", "NO", "off", ""])
def test_false_spellings_and_empty_parse_as_false(text):
    assert parse("X", "bool", text) is False


def test_ints_floats_and_sizes_parse_to_numbers():
    assert parse("X", "int", " 42 ") == 42
    assert parse("X", "float", "2.5") == 2.5
    assert parse("X", "size", "50GB") == 50 * 1000**3
    assert parse("X", "size", "1024") == 1024


@pytest.mark.parametrize(
    ("kind", "text"), [("bool", "maybe"), ("int", "4.5"), ("float", "fast"), ("size", "50 parsecs")]
)
def test_a_malformed_value_names_the_variable_the_value_and_the_accepted_forms(kind, text):
    with pytest.raises(ValueError, match=r"MY_VAR=") as error:
        parse("MY_VAR", kind, text)
    message = str(error.value)
    assert repr(text) in message and "use " in message


def test_a_setting_falls_back_to_its_default_when_unset_or_empty(monkeypatch):
    monkeypatch.delenv("LITDATA_STORAGE_MAX_ATTEMPTS", raising=False)
    assert settings.STORAGE_MAX_ATTEMPTS.get() == 6
    monkeypatch.setenv("LITDATA_STORAGE_MAX_ATTEMPTS", "")
    assert settings.STORAGE_MAX_ATTEMPTS.get() == 6
    monkeypatch.setenv("LITDATA_STORAGE_MAX_ATTEMPTS", "3")
    assert settings.STORAGE_MAX_ATTEMPTS.get() == 3
    monkeypatch.delenv("DATA_OPTIMIZER_GLOBAL_RANK", raising=False)
    assert settings.GLOBAL_RANK_OPTIMIZE.get() is None and settings.GLOBAL_RANK_OPTIMIZE.get(0) == 0


def test_reading_an_undeclared_name_is_refused():
    with pytest.raises(KeyError, match="declare it"):
        settings.named("LITDATA_NOT_A_SETTING")


def test_litdata_cache_dir_decides_the_default_cache_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("LITDATA_CACHE_DIR", str(tmp_path / "chunks"))
    assert default_cache_root() == str(tmp_path / "chunks")
    assert get_default_cache_dir() == str(tmp_path / "chunks")
    monkeypatch.delenv("LITDATA_CACHE_DIR")
    monkeypatch.delenv("LIGHTNING_CLUSTER_ID", raising=False)
    assert default_cache_root() == str(Path.home() / ".lightning" / "chunks")


def test_disable_s5cmd_yes_turns_s5cmd_off(monkeypatch):
    monkeypatch.setenv("DISABLE_S5CMD", "yes")
    assert find_s5cmd() is None
    monkeypatch.setenv("DISABLE_S5CMD", "maybe")
    with pytest.raises(ValueError, match="DISABLE_S5CMD='maybe'"):
        find_s5cmd()


def test_a_malformed_max_wait_time_is_reported_by_name(monkeypatch):
    monkeypatch.setenv("MAX_WAIT_TIME", "2 minutes")
    with pytest.raises(ValueError, match="MAX_WAIT_TIME='2 minutes'"):
        max_wait_time()
    monkeypatch.setenv("MAX_WAIT_TIME", "7.5")
    assert max_wait_time() == 7.5
