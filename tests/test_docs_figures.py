"""The figures of the docs are drawn from the code they explain, and match what the code does today."""

import importlib.util
from pathlib import Path

from testpaths import TESTS_DIR

DOCS = Path(TESTS_DIR).parent / "docs"


def _diagram_module():
    spec = importlib.util.spec_from_file_location("make_diagrams", DOCS / "diagrams" / "make_diagrams.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_order_figures_match_the_current_assignment_code():
    for name, svg in _diagram_module().figures().items():
        checked_in = (DOCS / "img" / name).read_text(encoding="utf-8")
        assert checked_in == svg, f"docs/img/{name} is stale: run python docs/diagrams/make_diagrams.py"


def test_every_image_the_docs_show_exists():
    for page in DOCS.rglob("*.md"):
        for reference in page.read_text(encoding="utf-8").split("](")[1:]:
            target = reference.split(")", 1)[0]
            if target.endswith((".png", ".svg")):
                assert (page.parent / target).resolve().is_file(), f"{page}: missing image {target}"
