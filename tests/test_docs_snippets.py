"""Every Python block of README.md and docs/ runs, so the documentation cannot drift from the code.

The blocks of one page run in order as one script, in a fresh folder, in a subprocess (so `if __name__ ==
"__main__":` guards and worker processes behave as in a user's script). A block that cannot run here is preceded
by `<!-- docs-test: skip REASON -->`; the reason is required.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from testpaths import TESTS_DIR

REPO = Path(TESTS_DIR).parent
PAGES = sorted([REPO / "README.md", *(REPO / "docs").rglob("*.md")])
FENCE = re.compile(
    r"(?P<marker><!-- docs-test: (?P<word>\w+)(?P<reason>[^>]*)-->\s*\n)?```python\n(?P<code>.*?)```", re.S
)
SCRIPT_TIMEOUT = 300


def python_blocks(page: Path) -> list[tuple[str, str | None, str]]:
    """The page's Python blocks as (code, marker word or None, marker reason)."""
    return [
        (match["code"], match["word"], (match["reason"] or "").strip())
        for match in FENCE.finditer(page.read_text(encoding="utf-8"))
    ]


def runnable_script(page: Path) -> str:
    """The page's runnable blocks joined in order."""
    return "\n\n".join(code for code, word, _ in python_blocks(page) if word != "skip")


PAGES_WITH_CODE = [page for page in PAGES if runnable_script(page).strip()]


def test_the_documentation_has_python_examples_to_run():
    assert len(PAGES_WITH_CODE) >= 10, [str(p) for p in PAGES_WITH_CODE]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_skipped_block_says_why(page):
    for code, word, reason in python_blocks(page):
        if word is not None:
            assert word == "skip", f"{page}: unknown docs-test marker {word!r} (only 'skip REASON' exists)"
            assert len(reason) >= 10, f"{page}: a skipped block needs a reason: {code[:60]!r}"


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=lambda p: str(p.relative_to(REPO)))
def test_the_python_blocks_of_the_page_run(page, tmp_path):
    script = tmp_path / "page.py"
    script.write_text(runnable_script(page), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=SCRIPT_TIMEOUT
    )
    assert result.returncode == 0, f"{page.relative_to(REPO)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
