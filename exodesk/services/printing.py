"""One print path: a document a service has prepared, to render off the UI thread, preview,
print or save, and then record as issued."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from exodesk.services.context import Changes


@dataclass(frozen=True, eq=False)
class PrintJob[T]:
    """A printable document, built by a service on the main thread.

    The service reads everything the document needs from the data file and checks the
    permission while it builds the job; after that, nothing here reads the data file until
    ``record``. The UI's one print path (``exodesk.ui.printing.preview_job``) runs ``pdf``
    on a worker thread, shows the preview, and calls ``record`` on the main thread when the
    preview says the document was printed or saved.

    Attributes:
        title: What the document is ("Aftercare — Zoë Ñúñez"): the preview's title.
        file_name: Offered in the save dialog (unsafe characters are replaced there).
        paper_size: "A4" or "Letter": the paper the print dialog starts with.
        data: The report's pure data, to assert on or to describe in the UI.
        render: Makes the PDF from ``data``. Pure: safe on a worker thread, so it must not
            touch the data file (a sqlite connection cannot cross threads) or any Qt object.
        record: ``record(how, pdf)`` writes the audit entry, and the issue-log entry where
            the document is a handout, and says what changed. ``how`` is "printed" or
            "saved:<path>"; ``pdf`` is the exact bytes that were previewed. Main thread only.
        caveat: Given the rendered PDF, a sentence to read before printing it, or "" (a
            reprint that no longer matches the original byte for byte says so). Main thread.
    """

    title: str
    file_name: str
    paper_size: str
    data: T
    render: Callable[[], bytes]
    record: Callable[[str, bytes], Changes]
    caveat: Callable[[bytes], str] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _rendered: list[bytes] = field(default_factory=list, init=False, repr=False)

    def pdf(self) -> bytes:
        """The PDF, rendered on the first call and kept: what was previewed is what is printed
        and recorded. Safe on a worker thread."""
        with self._lock:
            if not self._rendered:
                self._rendered.append(self.render())
            return self._rendered[0]
