"""The audit trail against someone who can recompute SHA-256: the live chain beside its anchors.

``check_chain`` proves each entry fits the one before it; it cannot tell a chain ExoDesk wrote
from one rewritten and re-sealed from some entry on, or cut short with its head moved back.
The anchors can (``exodesk.storage.anchors``): each says "entry N had hash H" as a backup saw
it. An anchor's entry must still be in the live chain with the same hash; an entry changed,
inserted, removed or renumbered at or before N changes entry N's hash (every hash covers the
one before it), and a chain cut short no longer reaches N.

Anchors come from the anchors file beside the data file, the sidecars in the backups folder,
and the sidecars of logged backups elsewhere (a USB stick) that can be read now. A restore
puts back an older chain on purpose: anchors of the data it replaced no longer apply, and are
left out by following the restores in the anchors file (``_lineage``).

Apart from anchors, a trail far shorter than the records it should describe is a fault: each
patient and each session recorded wrote an audit entry, so fewer entries than patients and
sessions means entries were removed (every one of them, say, with the chain head).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from exodesk.domain.audit import ChainReport, entry_number
from exodesk.errors import StorageError, UserError
from exodesk.storage.anchors import BACKUP, Anchor, logged_anchors
from exodesk.storage.audit import check_chain
from exodesk.storage.backup_files import (
    BackupRecord,
    list_backups,
    read_record,
    sidecar_of,
    when_words,
)
from exodesk.storage.database import is_encrypted, open_database, storage_errors
from exodesk.storage.engine import connection_key, sqlite3

log = logging.getLogger(__name__)

BACKUPS_FOLDER = "backups"  # as DataPaths.backups: the data folder's own backups
# Tables whose every row was recorded with an audit entry of its own: (table, one row).
_AUDITED_TABLES = (("patients", "patient"), ("sessions", "session"))


def check_trail(db: Database, folder: Path | None) -> ChainReport:
    """``check_chain``, then the chain against its anchors and the trail's size (the faults of
    ``anchor_faults`` follow the chain's own). ``folder`` is the data folder (None: the
    database is not a file, so there is nothing outside it to compare with)."""
    chain = check_chain(db)
    return ChainReport(chain.entries_checked, chain.faults + tuple(anchor_faults(db, folder)))


def anchor_faults(db: Database, folder: Path | None, also: Iterable[Path] = ()) -> list[str]:
    """Plain sentences for what the anchors and the record counts say is changed or gone.

    Args:
        db: The live data file.
        folder: Its data folder, where the anchors file and the backups folder are; None
            checks the trail's size only.
        also: More folders of this clinic's backups whose sidecars are anchors too (a USB
            stick named by whoever runs the check: found even if the anchors file is gone).
    """
    with storage_errors():
        faults = [f for f in (_short_trail(db),) if f]
        if folder is not None:
            lineage = _lineage(found_anchors(Path(folder), also))
            faults.extend(_judge(db, lineage))
    return faults


# ---- finding anchors ---------------------------------------------------------------------
def found_anchors(folder: Path, also: Iterable[Path] = ()) -> list[Anchor]:
    """Every anchor check can see for the data file in ``folder``, duplicates removed.

    The anchors file's lines, the sidecars in ``folder/backups`` and in each of ``also``, and,
    for logged backups made anywhere else, their sidecars if they can be read now (a USB
    stick plugged back in).
    """
    logged = logged_anchors(folder)
    records = list_backups(Path(folder) / BACKUPS_FOLDER, check=False)
    for other in also:
        if not Path(other).is_dir():
            raise UserError(
                f"The folder {other} does not exist, so the audit trail was not checked "
                "against it.",
                advice="Is the USB stick or network drive connected?",
            )
        records.extend(list_backups(Path(other), check=False))
    listed = {r.path for r in records}
    for anchor in logged:
        if anchor.kind != BACKUP or anchor.backup in listed:
            continue
        listed.add(anchor.backup)
        try:
            if sidecar_of(anchor.backup).is_file():
                records.append(read_record(anchor.backup, check=False))
        except OSError:
            continue  # a drive that is not there now
    from_sidecars = [_from_record(r) for r in records]
    unique: dict[tuple[str, object, int, str], Anchor] = {}
    for anchor in [*logged, *(a for a in from_sidecars if a is not None)]:
        unique.setdefault((anchor.kind, anchor.at, anchor.last_id, anchor.last_hash), anchor)
    return list(unique.values())


def _from_record(record: BackupRecord) -> Anchor | None:
    if record.audit_last_id is None or not record.audit_last_hash:
        return None  # a sidecar from before anchors, or one that cannot be read
    try:
        last_id = int(record.audit_last_id)
    except (TypeError, ValueError):
        return None
    if record.created_at.tzinfo is None:
        return None
    return Anchor(BACKUP, record.created_at, last_id, record.audit_last_hash, record.path)


def _lineage(anchors: Iterable[Anchor]) -> list[Anchor]:
    """The anchors that apply to the data file as it is now, following its restores.

    In time order, a backup continues the data of the one before it; a restore goes back to
    the data of the backup restored (found by its chain end), whose anchors apply again, and
    those made since that backup on the data the restore replaced apply no more. A restore of
    a backup not found among the anchors (an old one, or from elsewhere) starts afresh from
    that backup's chain end. At equal times a backup comes first: the copy of the data file
    kept aside at a restore is taken just before it.
    """
    events = sorted(anchors, key=lambda a: (a.at, a.kind != BACKUP))
    parent: list[int | None] = []
    tip: int | None = None
    backup_at: dict[tuple[int, str], int] = {}
    for index, anchor in enumerate(events):
        if anchor.kind == BACKUP:
            parent.append(tip)
            tip = index
            backup_at[(anchor.last_id, anchor.last_hash)] = index
            continue
        parent.append(None)
        restored = backup_at.get((anchor.last_id, anchor.last_hash))
        fresh = index if anchor.last_hash else None  # a copy with no chain anchors nothing
        tip = restored if restored is not None else fresh
    applying: list[Anchor] = []
    while tip is not None:
        applying.append(events[tip])
        tip = parent[tip]
    return applying


# ---- judging -----------------------------------------------------------------------------
def _where(anchor: Anchor) -> str:
    name = anchor.backup.name
    if anchor.kind == BACKUP:
        return f"the backup of {when_words(anchor.at)} ({name})"
    return f"the backup restored on {when_words(anchor.at)} ({name})"


def _judge(db: Database, lineage: list[Anchor]) -> list[str]:
    """Each anchor's entry must be in the live chain with the anchor's hash."""
    if not lineage:
        return []
    live_last = int(db.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0])
    matched: Anchor | None = None
    changed: tuple[Anchor, bool] | None = None  # (anchor, its entry is still there)
    beyond: Anchor | None = None
    departed: list[Anchor] = []  # anchors the live trail no longer fits, oldest entry first
    for anchor in sorted(lineage, key=lambda a: a.last_id):
        if anchor.last_id <= 0:
            continue  # a copy with no entries holds nothing to compare
        if anchor.last_id > live_last:
            beyond = anchor  # sorted: the last one kept reaches furthest
            departed.append(anchor)
            continue
        row = db.execute(
            "SELECT entry_hash FROM audit_log WHERE id = ?", [anchor.last_id]
        ).fetchone()
        if row is not None and row[0] == anchor.last_hash:
            if changed is None:
                matched = anchor
            continue
        departed.append(anchor)
        if changed is None:
            changed = (anchor, row is not None)
    faults: list[str] = []
    if changed is not None:
        faults.append(_changed(*changed, matched))
        # The first backup still on the disk names the exact entry (rotation may have
        # deleted the one whose anchor came first).
        first = next(filter(None, (_first_difference(db, a) for a in departed)), None)
        if first:
            faults.append(first)
    if beyond is not None:
        faults.append(_removed(beyond, live_last))
    if faults:
        log.warning("audit trail against its anchors (%d in use): %s", len(lineage), faults)
    return faults


def _changed(anchor: Anchor, present: bool, matched: Anchor | None) -> str:
    number = entry_number(anchor.last_id)
    if matched is not None:
        span = (
            f"between entries {entry_number(matched.last_id + 1)} and {number} "
            f"(entry {entry_number(matched.last_id)} still matches {_where(matched)})"
        )
    else:
        span = f"at or before entry {number}"
    if not present:
        return (
            f"Audit entry {number} is missing, though {_where(anchor)} holds it: entries were "
            f"removed or renumbered {span}."
        )
    return (
        f"Audit entry {number} is not the one in {_where(anchor)}: the audit trail was "
        f"rewritten {span}, and sealed again to hide it."
    )


def _first_difference(db: Database, anchor: Anchor) -> str | None:
    """Where the live trail first departs from the backup behind ``anchor``, if that backup
    can still be read (it must itself still end as its anchor says); else None."""
    path = anchor.backup
    key = connection_key(db.conn)
    try:
        if not path.is_file():
            return None
        copy = open_database(path, read_only=True, key=key if is_encrypted(path) else None)
    except (StorageError, OSError):
        return None
    try:
        theirs = copy.execute(
            "SELECT id, entry_hash, at FROM audit_log WHERE id <= ? ORDER BY id", [anchor.last_id]
        ).fetchall()
    except sqlite3.Error:
        return None
    finally:
        copy.close()
    if not theirs or tuple(theirs[-1][:2]) != (anchor.last_id, anchor.last_hash):
        return None  # the copy is not the one the anchor describes
    ours = dict(
        db.execute(
            "SELECT id, entry_hash FROM audit_log WHERE id <= ?", [anchor.last_id]
        ).fetchall()
    )
    for entry_id, entry_hash, at in theirs:
        if ours.get(entry_id) == entry_hash:
            continue
        number = entry_number(entry_id)
        what = "is missing" if entry_id not in ours else "is not the one it holds"
        recorded = f", recorded {_stamp(at)}" if _stamp(at) else ""
        return (
            f"The trail first departs from {_where(anchor)} at entry {number}{recorded}: "
            f"entry {number} {what}; entries before it match."
        )
    return None


def _stamp(at: object) -> str:
    try:
        return when_words(datetime.fromisoformat(str(at)))
    except ValueError:
        return ""


def _removed(anchor: Anchor, live_last: int) -> str:
    number = entry_number(anchor.last_id)
    if live_last == 0:
        return f"Every audit entry was removed: {_where(anchor)} holds entries up to {number}."
    gone = entry_number(anchor.last_id - live_last)
    return (
        f"At least {gone} of the newest audit entries were removed: {_where(anchor)} holds "
        f"entry {number}, and the trail now ends at entry {entry_number(live_last)}."
    )


def _short_trail(db: Database) -> str | None:
    """A fault when the trail holds fewer entries than the records that each wrote one."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "audit_log" not in tables:
        return None
    counts = {
        noun: int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        for table, noun in _AUDITED_TABLES
        if table in tables
    }
    records = sum(counts.values())
    entries = int(db.execute("SELECT count(*) FROM audit_log").fetchone()[0])
    if entries >= records:
        return None
    held = " and ".join(f"{n:,} {noun}{'' if n == 1 else 's'}" for noun, n in counts.items() if n)
    if entries == 0:
        return (
            f"The audit trail is empty, but the file holds {held}, and recording each of them "
            "wrote an audit entry: the trail was removed."
        )
    noun = "entry" if entries == 1 else "entries"
    return (
        f"The audit trail holds only {entry_number(entries)} {noun}, but the file holds "
        f"{held}, and recording each of them wrote an audit entry: entries were removed."
    )
