"""A local server speaking the part of the Hugging Face Hub API that ``huggingface_hub.HfFileSystem`` uses to list
and download dataset files: repo/revision info, tree listings, paths-info and ``resolve`` downloads (with ranges).

Repos are folders: ``{root}/{org}/{name}/{quoted revision}/...`` (``main``, ``refs%2Fconvert%2Fparquet``...).
Only 127.0.0.1 is served; ``requests`` records each request path for the tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlparse


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


class FakeHub:
    def __init__(self, root: str) -> None:
        self.root = root
        self.requests: list[str] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_HEAD(self) -> None:
                hub._handle(self, body=False)

            def do_GET(self) -> None:
                hub._handle(self, body=True)

            def do_POST(self) -> None:
                hub._handle(self, body=True)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ----------------------------------------------------------------------------------------------- helpers
    def _revision_dir(self, repo: str, revision: str) -> str:
        return os.path.join(self.root, repo, quote(unquote(revision), safe=""))

    def _entry(self, folder: str, relative: str) -> dict:
        path = os.path.join(folder, relative)
        if os.path.isdir(path):
            return {"type": "directory", "oid": _sha(relative), "path": relative}
        size = os.path.getsize(path)
        return {"type": "file", "oid": _sha(f"{relative}:{size}"), "size": size, "path": relative}

    @staticmethod
    def _send(handler, status: int, payload: bytes = b"", headers: dict | None = None, body: bool = True) -> None:
        handler.send_response(status)
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if body:
            handler.wfile.write(payload)

    def _json(self, handler, value, body: bool = True) -> None:
        self._send(handler, 200, json.dumps(value).encode(), {"Content-Type": "application/json"}, body)

    def _missing(self, handler, code: str, body: bool = True) -> None:
        self._send(handler, 404, json.dumps({"error": code}).encode(), {"X-Error-Code": code}, body)

    # ----------------------------------------------------------------------------------------------- routes
    def _handle(self, handler, body: bool) -> None:
        url = urlparse(handler.path)
        self.requests.append(f"{handler.command} {url.path}")
        parts = url.path.strip("/").split("/")
        if parts[:2] == ["api", "datasets"] and len(parts) == 4:  # repo info (default branch)
            parts = [*parts, "revision", "main"]
        if parts[:2] == ["api", "datasets"] and len(parts) >= 6:
            repo, action, revision, rest = "/".join(parts[2:4]), parts[4], parts[5], "/".join(parts[6:])
            folder = self._revision_dir(repo, revision)
            if not os.path.isdir(os.path.join(self.root, repo)):
                return self._missing(handler, "RepoNotFound", body)
            if not os.path.isdir(folder):
                return self._missing(handler, "RevisionNotFound", body)
            if action == "revision":
                return self._json(handler, {"id": repo, "sha": _sha(repo + revision), "siblings": []}, body)
            if action == "tree":
                target = os.path.join(folder, unquote(rest))
                if not os.path.isdir(target):
                    return self._missing(handler, "EntryNotFound", body)
                recursive = parse_qs(url.query).get("recursive", ["false"])[0].lower() == "true"
                entries = []
                for current, dirs, files in os.walk(target):
                    for name in sorted(dirs) + sorted(files):
                        entries.append(self._entry(folder, os.path.relpath(os.path.join(current, name), folder)))
                    if not recursive:
                        break
                return self._json(handler, entries, body)
            if action == "paths-info":
                length = int(handler.headers.get("Content-Length") or 0)
                form = parse_qs(handler.rfile.read(length).decode())
                paths = [p for p in form.get("paths", []) if os.path.exists(os.path.join(folder, p))]
                return self._json(handler, [self._entry(folder, p) for p in paths], body)
        if parts[:1] == ["datasets"] and len(parts) >= 6 and parts[3] == "resolve":
            repo, revision, relative = "/".join(parts[1:3]), parts[4], unquote("/".join(parts[5:]))
            path = os.path.join(self._revision_dir(repo, revision), relative)
            if not os.path.isfile(path):
                return self._missing(handler, "EntryNotFound", body)
            with open(path, "rb") as file:
                data = file.read()
            entry = self._entry(self._revision_dir(repo, revision), relative)
            headers = {"ETag": f'"{entry["oid"]}"', "X-Repo-Commit": _sha(repo + revision), "Accept-Ranges": "bytes"}
            status, ranged = 200, handler.headers.get("Range")
            if ranged:
                first, _, last = ranged.removeprefix("bytes=").partition("-")
                start, end = int(first or 0), min(int(last) if last else len(data) - 1, len(data) - 1)
                headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
                data, status = data[start : end + 1], 206
            return self._send(handler, status, data, headers, body)
        self._missing(handler, "RepoNotFound", body)
