"""Reading tqdm progress bars out of captured stderr."""

import pytest


def final_bar(err: str, description: str) -> str:
    """The last redraw of the bar named ``description`` in ``err`` (tqdm redraws in place with carriage returns)."""
    lines = [line for line in err.replace("\r", "\n").splitlines() if line.startswith(f"{description}:")]
    if not lines:
        pytest.fail(f"no {description!r} progress bar on stderr; stderr was:\n{err}")
    return lines[-1]
