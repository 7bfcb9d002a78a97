"""Anchors of the audit chain: where it ended when each backup was made, kept outside the file.

The hash chain (``exodesk.storage.audit``) shows an entry changed by someone who cannot
recompute SHA-256; someone who can may rewrite an entry and re-seal every entry after it, or
remove the newest entries and move the chain head back, and the chain alone still looks whole.
What they cannot change is what was written down elsewhere before they started: each backup's
sidecar records the id and hash of the newest entry the copy holds (``audit_last_id``,
``audit_last_hash``), and ``exodesk.anchors``, beside the data file, keeps one line for every
backup ever made (in the backups folder, on a USB stick, anywhere) and every restore. Rotation
deletes old backups and their sidecars; the anchors file keeps their lines.

This module is the file: one JSON object a line, only ever appended to. Comparing the anchors
with the live chain is ``exodesk.storage.anchor_check``.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)

ANCHORS_FILE_NAME = "exodesk.anchors"
BACKUP, RESTORE = "backup", "restore"


@dataclass(frozen=True)
class Anchor:
    """The audit chain's end as a backup saw it, or as a restore put it back.

    Attributes:
        kind: ``backup`` (a copy holding entries up to ``last_id``) or ``restore`` (the data
            file was replaced by a copy ending at ``last_id``; anchors of the abandoned data
            no longer apply).
        at: When the backup or restore was made.
        last_id: The newest audit entry's id in the copy.
        last_hash: That entry's ``entry_hash``.
        backup: The backup file, as its path was when it was made.
    """

    kind: str
    at: datetime
    last_id: int
    last_hash: str
    backup: Path

    def line(self) -> str:
        """The anchor as one line of the anchors file."""
        return json.dumps(
            {
                "kind": self.kind,
                "at": self.at.isoformat(),
                "backup": str(self.backup),
                "audit_last_id": self.last_id,
                "audit_last_hash": self.last_hash,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_line(cls, text: str) -> Anchor:
        """Read one line of the anchors file.

        Raises:
            ValueError: the line is not an anchor (cut short by a power cut, or edited).
        """
        try:
            meta = json.loads(text)
            anchor = cls(
                kind=str(meta["kind"]),
                at=datetime.fromisoformat(meta["at"]),
                last_id=int(meta["audit_last_id"]),
                last_hash=str(meta["audit_last_hash"]),
                backup=Path(meta["backup"]),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not an anchor: {text[:80]!r}") from exc
        if anchor.kind not in (BACKUP, RESTORE) or anchor.at.tzinfo is None:
            raise ValueError(f"not an anchor: {text[:80]!r}")
        return anchor


def anchors_file(folder: Path) -> Path:
    """The anchors file of the data file in ``folder``."""
    return Path(folder) / ANCHORS_FILE_NAME


def record_anchor(data_file: Path | None, anchor: Anchor) -> bool:
    """Append ``anchor`` to the anchors file beside ``data_file``, flushed to the disk.

    Never fails the backup or restore it belongs to: a folder that cannot be written (or an
    in-memory database, ``data_file`` None) is logged and skipped; the backup's sidecar still
    carries the anchor. A backup without a hash (a copy of a file from before the audit
    chain) anchors nothing and is not written; a restore always is, with or without one.
    Returns whether the line was written.
    """
    if data_file is None or (anchor.kind == BACKUP and not anchor.last_hash):
        return False
    path = anchors_file(Path(data_file).parent)
    try:
        # One write of one line in append mode: a power cut leaves at worst a partial last
        # line, which the reader skips.
        with path.open("a", encoding="utf-8", newline="\n") as fh:
            fh.write(anchor.line() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        log.warning("the anchor of %s was not added to %s: %s", anchor.backup, path, exc)
        return False
    return True


def record_new_start(data_file: Path, at: datetime) -> bool:
    """Note that a new clinic starts here in place of a data file that went missing.

    The earlier anchors (the old clinic's backups, kept for a restore) then no longer apply to
    the new data file: a restore with no chain, which starts the comparison afresh. Returns
    whether the line was written.
    """
    return record_anchor(data_file, Anchor(RESTORE, at, 0, "", Path(data_file)))


def logged_anchors(folder: Path) -> list[Anchor]:
    """Every anchor in the anchors file in ``folder``, in the order written (none if missing).

    Lines that are not anchors are skipped and logged: the anchors in sidecars still count.
    """
    path = anchors_file(folder)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as exc:
        log.warning("the anchors file %s cannot be read: %s", path, exc)
        return []
    found: list[Anchor] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append(Anchor.from_line(line))
        except ValueError:
            log.warning("%s line %d is not an anchor; skipped", path, number)
    return found
