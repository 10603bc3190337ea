"""Small helpers at LitData 0.2.76's import path ``litdata.helpers``: a warning shown once per message.

LitData 0.2.76 also asks PyPI for a newer release here; litdata makes no network call (README, "Where we differ").
"""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["WarningCache", "warning_cache"]


class WarningCache(set):
    """The messages already warned about: `warn` shows each message once per process."""

    def warn(self, message: str, stacklevel: int = 5, **kwargs: Any) -> None:
        """Warn with ``message`` unless it was shown before (``kwargs`` go to `warnings.warn`, e.g. ``category``)."""
        if message not in self:
            self.add(message)
            warnings.warn(message, stacklevel=stacklevel, **kwargs)


warning_cache = WarningCache()
