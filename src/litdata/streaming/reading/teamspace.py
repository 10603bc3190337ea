"""Lightning AI Studio paths (``/teamspace/...``), resolved as LitData 0.2.76 resolves them where that is possible
without the Lightning platform API.

- ``/teamspace/studios/this_studio/...``: the Studio's own disk, a local folder.
- ``/teamspace/{studios,s3_connections,gcs_connections,s3_folders,gcs_folders,lightning_storage,datasets}/NAME/...``:
  LitData 0.2.76 asks the platform which bucket holds the folder. This package does not talk to the platform: in a
  Studio (``LIGHTNING_CLOUD_PROJECT_ID`` set) such a path is read through its mount, as a local folder; elsewhere it
  raises the same error as 0.2.76, with the way out.
"""

from __future__ import annotations

import litdata.settings as settings

_THIS_STUDIO = "/teamspace/studios/this_studio"
_KINDS = ("studios", "s3_connections", "gcs_connections", "s3_folders", "gcs_folders", "lightning_storage", "datasets")


def is_platform_path(path: str) -> bool:
    """Whether ``path`` (absolute) names a folder that LitData resolves through the Lightning platform."""
    parts = path.split("/")
    return len(parts) > 3 and parts[1] == "teamspace" and parts[2] in _KINDS and not path.startswith(_THIS_STUDIO)


def resolve_platform_path(path: str) -> str:
    """The local folder to read ``path`` from (its mount in a Studio); ``RuntimeError`` outside a Studio."""
    if not settings.LIGHTNING_CLOUD_PROJECT_ID.is_set():
        raise RuntimeError(
            "The `LIGHTNING_CLOUD_PROJECT_ID` couldn't be found from the environment variables. "
            f"{path} is a Lightning AI Studio path; outside a Studio, pass the bucket URL (s3://..., gs://...) instead."
        )
    return path
