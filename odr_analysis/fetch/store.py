"""What ``odr-fetch`` keeps on disk: report files written atomically, and its state.

Every file is written to a hidden temporary file next to it (``.<name>.part-<pid>-<n>``: the
readers skip hidden files) and moved into place with :func:`os.replace`, so a run killed midway
leaves no half-written report; :func:`clean_parts` removes the leftovers of such a run.

A report keeps Amazon's bytes as served: gzip stays gzip (``.txt.gz``), Shift_JIS stays
Shift_JIS; the readers decompress and decode. The extension follows the bytes, not the
document's description.

The state (:data:`STATE_FILE`, hidden, in the account folder) says what was fetched up to when;
it is written atomically after every report, so the next run resumes where one stopped.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Final

__all__ = [
    "GZIP_MAGIC",
    "STATE_FILE",
    "State",
    "clean_parts",
    "load_state",
    "save_state",
    "write_atomic",
    "write_document",
]

STATE_FILE: Final = ".odr-fetch.json"
"""The state file of an account folder (hidden: the readers skip it)."""
GZIP_MAGIC: Final = b"\x1f\x8b"
_PART: Final = ".part-"
_COUNTER = itertools.count()

State = dict[str, Any]
"""The state: ``{"version": 1, "orders": {...}, "feedback": {...}, "health": {...},
"finances": {...}, "pending": {...}}`` (see :mod:`odr_analysis.fetch.run`)."""


@contextlib.contextmanager
def _part(path: Path) -> Iterator[tuple[Path, IO[bytes]]]:
    """A hidden temporary file beside ``path``, removed unless the caller moved it away."""
    part = path.with_name(f".{path.name}{_PART}{os.getpid()}-{next(_COUNTER)}")
    try:
        with part.open("wb") as handle:
            yield part, handle
    finally:
        part.unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and :func:`os.replace`."""
    with _part(path) as (part, handle):
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(part, path)
    return path


def write_document(folder: Path, stem: str, extension: str, chunks: Iterable[bytes]) -> Path:
    """Write a downloaded document as ``<stem><extension>``, plus ``.gz`` when its bytes are
    gzip; a copy of the same report under the other extension (a previous run's) is removed.
    Returns the file written and its size via ``Path.stat``."""
    with _part(folder / f"{stem}{extension}") as (part, handle):
        head = b""
        for chunk in chunks:
            if len(head) < 2:
                head += chunk[:2]
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        gzipped = head[:2] == GZIP_MAGIC
        path = folder / f"{stem}{extension}{'.gz' if gzipped else ''}"
        os.replace(part, path)
    other = folder / f"{stem}{extension}{'' if gzipped else '.gz'}"
    other.unlink(missing_ok=True)
    return path


def clean_parts(folder: Path) -> list[Path]:
    """Remove the temporary files a killed run left in ``folder``; returns them."""
    found = [p for p in folder.iterdir() if p.name.startswith(".") and _PART in p.name]
    for p in found:
        p.unlink(missing_ok=True)
    return found


def load_state(folder: Path) -> State:
    """The account's state; an empty state when there is none yet. A state that cannot be read
    raises ``ValueError`` naming the file (delete it to fetch everything again)."""
    path = folder / STATE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {"version": 1}
    try:
        state = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"state file '{path}' is not valid JSON ({exc.msg}); delete it to fetch again"
        ) from None
    if not isinstance(state, dict) or state.get("version") != 1:
        raise ValueError(f"state file '{path}' is not odr-fetch's state (version 1)")
    return state


def save_state(folder: Path, state: State) -> None:
    """Write the state atomically."""
    text = json.dumps(state, indent=1, sort_keys=True) + "\n"
    write_atomic(folder / STATE_FILE, text.encode("utf-8"))
