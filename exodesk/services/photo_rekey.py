"""Finishing a photo re-key that was stopped (a kill, a power cut) once the data file had its
new key: at the next open with that key (``open_services``), from the note left beside the
data file (``exodesk.storage.photo_rekey``).

Imported only when the note is there: an ordinary start pays one stat for all this.
"""

from __future__ import annotations

import logging

from exodesk.domain.plurals import plural
from exodesk.errors import StorageError
from exodesk.paths import DataPaths
from exodesk.storage.keys import key_id
from exodesk.storage.photo_rekey import NoteUnreadable, clear_note, read_note
from exodesk.storage.photo_store import PhotosNotRekeyed, open_photo_store, photos_folder

log = logging.getLogger(__name__)


def finish_pending_photos(paths: DataPaths, key: bytes | None) -> str | None:
    """Bring every photo under ``key`` (the key the data file just opened with) if a re-key
    or an encryption was stopped during its photo step; never raises.

    - The note was written for ``key``: the old key in it (or "plain") and ``key`` finish the
      store's ``reencrypt`` (blobs already under ``key`` are skipped); the note goes once no
      blob is left behind.
    - The note names ``key`` as the old one (or the clinic is plain and the photos were):
      the change never took effect (stopped before the data file's swap), no blob was
      touched, and the note goes.
    - Otherwise (another key: an older file put back by hand) it stays, and is logged.

    Returns:
        A plain sentence for ``Services.warnings`` when some photos could not be done.
    """
    try:
        note = read_note(paths)
    except (NoteUnreadable, StorageError) as exc:
        log.warning("the note of a pending photo re-key is unreadable, left as it is: %s", exc)
        return None
    if note is None:
        return None
    current = key_id(key) if key is not None else None
    if current == note.old_key_id:
        log.warning("a photo re-key never took effect (stopped before the swap); note removed")
        clear_note(paths)
        return None
    if key is None or current != note.new_key_id:
        log.warning(
            "a photo re-key is pending for another key (%s) than the one in use (%s); left",
            note.new_key_id,
            current or "plain",
        )
        return None
    try:
        old = note.old_key(key)
    except NoteUnreadable as exc:
        log.warning("the note of a pending photo re-key does not open, left: %s", exc)
        return None
    try:
        if photos_folder(paths.folder).is_dir():
            result = open_photo_store(paths, old).reencrypt(old, key)
            log.warning(
                "finished a photo re-key that was stopped: %d re-written, %d already done",
                result.rekeyed,
                result.already,
            )
    except PhotosNotRekeyed as exc:
        log.warning("a stopped photo re-key left %d photos behind", len(exc.result.damaged))
        n = len(exc.result.damaged)
        return (
            f"{plural(n, 'photo file')} could not be read when the photos were moved to the "
            "clinic's current key (after the keys were changed or the records encrypted); "
            "every other photo was. Restore the photos from a backup, or ask whoever looks "
            "after this PC; ExoDesk tries again at each start."
        )
    except (StorageError, OSError, ValueError) as exc:
        log.warning("a stopped photo re-key could not be finished: %s", exc)
        said = exc.message if isinstance(exc, StorageError) else "a photo file could not be used."
        return (
            "Some photos are not yet under the clinic's current key (after the keys were "
            f"changed or the records encrypted): {said} ExoDesk tries again at each start."
        )
    clear_note(paths)
    return None
