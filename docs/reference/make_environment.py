"""Write docs/reference/environment.md (or the path given) from the declarations in litdata.settings."""

import sys
from pathlib import Path

from litdata.settings import environment_markdown

if __name__ == "__main__":
    page = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("environment.md")
    page.write_text(environment_markdown())
    print(f"wrote {page}")
