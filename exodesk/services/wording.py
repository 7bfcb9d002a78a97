"""The wording a patient signs, kept in versions: the bundled text until the clinic edits
it; each edit a new version, audited; earlier signatures keep the version they signed."""

from __future__ import annotations

from collections.abc import Callable

from exodesk.domain.problems import check_text
from exodesk.services.context import Changes, SaveResult, ServiceContext
from exodesk.storage.database import storage_errors
from exodesk.storage.wording import VersionedWording


class SignedWording:
    """One versioned wording (the treatment consent, the photo consent).

    Args:
        ctx: The open data file's context.
        table: Where its versions are kept (``storage.wording.WORDING_TABLES``).
        default: The bundled wording, used until the clinic saves its own.
        name: How a person calls it ("The consent text"), for problems and the audit.
        topic: What a saved version changes (for the views that show it).
    """

    def __init__(
        self,
        ctx: ServiceContext,
        table: str,
        *,
        default: Callable[[], str],
        name: str,
        topic: str,
    ) -> None:
        self._ctx = ctx
        self._table = table
        self._default = default
        self._name = name
        self._topic = topic

    def _texts(self) -> VersionedWording:
        return VersionedWording(self._ctx.db, self._table)

    def current(self) -> tuple[int, str]:
        """(version, text) in force: the newest saved, or the bundled one as version 1."""
        with storage_errors():
            latest = self._texts().latest()
        return (latest[1], latest[2]) if latest else (1, self._default())

    def save(self, text: str) -> SaveResult:
        """Store ``text`` as a new version (the caller checked the permission). The first
        save keeps the bundled wording as version 1, so what was signed before stays known."""
        problems = check_text(
            "text", text, self._name, required=True, max_len=20_000, multiline=True
        )
        if problems:
            return SaveResult(problems=problems)
        by = self._ctx.desk.require().id
        now = self._ctx.now()
        with self._ctx.write():
            texts = self._texts()
            if texts.latest() is None:
                texts.add(self._default(), at=now, by=None)
            row_id, version = texts.add(text, at=now, by=by)
            self._ctx.audit(
                "update",
                self._table,
                row_id,
                summary=f"{self._name.removeprefix('The ').capitalize()} version {version}",
                after={"text": text},
                at=now,
            )
        return SaveResult(record=version, changes=Changes(frozenset({self._topic})))
