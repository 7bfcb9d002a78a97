"""Clinical photos: sets of standard views, the import pipeline into the photo store, photo
consent, ratings, entered in error, and the data the compare view and progress sheet show.

Every write is audited in its transaction. Nothing is deleted: a photo entered in error is
hidden and kept; a revoked consent level is a row of its own.

Threads: the data file's connection belongs to the main thread. ``prepare`` (decode, clean,
scale, encode; no data file, no store) is safe on any thread, so the UI runs it in a worker
(``ui.workers.run_in_background``) and hands the result to ``add_prepared`` on the main
thread. ``add_photo`` and ``import_files`` do both on the calling thread (``import_files``
prepares two pictures at once on two cores).

Public API (``services.photos``)::

    views -> ViewTable                       # the standard views of each area
    sets(patient_id) -> list[PhotoSet]       # newest first
    get_set(set_id) -> PhotoSet
    photos(set_id, *, include_errors=False) -> list[Photo]
    gallery(patient_id, *, area=None, view=None) -> list[Photo]     # newest first
    missing_views(set_id) -> list[str]
    new_set(patient_id, area, *, session_id=None, taken_on=None, course_id=None) -> PhotoSet
    prepare(data) -> PreparedPhoto           # any thread; UserError in plain words
    add_prepared(set_id, view, prepared, *, source, taken_at=None) -> Photo
    add_photo(set_id, view, data, *, source, taken_at=None) -> Photo
    import_files(set_id, items, progress=None) -> list[Photo]       # items: (view, path)
    image(photo) -> bytes ; thumbnail(photo) -> bytes               # stored JPEG bytes
    mark_entered_in_error(photo_id, reason) -> None
    consent(patient_id) -> PhotoConsent | None
    consent_text() -> tuple[int, str] ; default_consent_text() -> str
    save_consent_text(text) -> SaveResult
    record_consent(patient_id, levels, signed_name, signature_png) -> SaveResult
    revoke_consent(patient_id, level) -> None
    may(patient_id, level) -> bool
    rate(set_id, scale, value) -> None ; ratings(patient_id) -> list[Rating]
    scales(patient_id, area) -> tuple[str, ...]
    compare_pair(patient_id, area, view) -> list[Photo]             # oldest first
    progress_sheet_data(patient_id, pairs) -> ProgressSheet        # pairs: (photo id, photo id)
    baseline_missing(patient_id, course_id, areas, *, day) -> str | None
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from exodesk.domain.accounts import (
    CLINICAL_TEXTS_EDIT,
    PHOTO_CONSENT,
    PHOTOS_ERROR,
    PHOTOS_TAKE,
    PHOTOS_VIEW,
)
from exodesk.domain.dates import format_short
from exodesk.domain.intake import validate_reason
from exodesk.domain.photos import (
    CONSENT_LEVELS,
    CONSENT_SHORT,
    NO_RECORD_CONSENT,
    RECORD,
    SCALE_LABELS,
    SOURCES,
    Photo,
    PhotoConsent,
    PhotoSet,
    Rating,
    ViewTable,
    area_for_course,
    baseline_ids,
    newest_ratings,
    scales_for,
    set_label,
    validate_levels,
    validate_rating,
    value_label,
)
from exodesk.domain.photos import missing_views as missing_views_of
from exodesk.domain.problems import Problem, check_text
from exodesk.domain.sessions import Course
from exodesk.errors import UserError
from exodesk.services.context import Changes, SaveResult, ServiceContext
from exodesk.services.wording import SignedWording
from exodesk.storage.database import storage_errors
from exodesk.storage.patients import PatientRepository
from exodesk.storage.photos import NewPhoto, PhotoRepository
from exodesk.storage.sessions import CourseRepository, SessionRepository

if TYPE_CHECKING:
    from exodesk.domain.photo_sheet import ProgressSheet
    from exodesk.services.photo_import import PreparedPhoto
    from exodesk.storage.photo_store import PhotoStore

PHOTOS = "photos"
"""The change topic of every photo write (the gallery refreshes on it)."""
MAX_SIGNATURE_BYTES = 500_000
# A set with no course of its own counts as a course's baseline when taken this close before
# the course started (the consultation photos), or any time after.
BASELINE_LEAD_DAYS = 30

Progress = Callable[[int, int], None]
"""Called with (pictures done, pictures in all), on the calling thread."""


class PhotoService:
    """A patient's clinical photos: taken with consent, kept, compared, never deleted.

    Args:
        ctx: The shared service context; its ``photos_store`` holds the images.
        store: Another photo store (tests only); None uses ``ctx.photos_store``.
    """

    def __init__(self, ctx: ServiceContext, *, store: PhotoStore | None = None) -> None:
        self._ctx = ctx
        self._given_store = store
        self._repo = PhotoRepository(ctx.db)
        self._patients = PatientRepository(ctx.db)
        self._courses = CourseRepository(ctx.db)
        self._sessions = SessionRepository(ctx.db)

    @property
    def _store(self) -> PhotoStore:
        return self._given_store if self._given_store is not None else self._ctx.photos_store

    @property
    def views(self) -> ViewTable:
        """The standard views of each area (bundled data)."""
        return self._ctx.bundled.photo_views

    # ---- reading -------------------------------------------------------------------------
    def sets(self, patient_id: int) -> list[PhotoSet]:
        """The patient's photo sets, newest first, each labelled ("Session 2 of 4")."""
        self._ctx.require(PHOTOS_VIEW)
        with storage_errors():
            return self._sets(patient_id)

    def get_set(self, set_id: int) -> PhotoSet:
        """One set, labelled.

        Raises:
            UserError: there is no such set.
        """
        self._ctx.require(PHOTOS_VIEW)
        with storage_errors():
            owner = self._repo.set_owner(set_id)
            if owner is None:
                raise UserError("This photo set is no longer in the data file.")
            return next(s for s in self._sets(owner[0]) if s.id == set_id)

    def photos(self, set_id: int, *, include_errors: bool = False) -> list[Photo]:
        """The photos of a set, in the order they were added."""
        self._ctx.require(PHOTOS_VIEW)
        with storage_errors():
            return self._repo.photos_of_set(set_id, include_errors=include_errors)

    def gallery(
        self, patient_id: int, *, area: str | None = None, view: str | None = None
    ) -> list[Photo]:
        """The patient's photos (not those entered in error), newest first."""
        self._ctx.require(PHOTOS_VIEW)
        with storage_errors():
            return self._repo.photos_of_patient(patient_id, area=area, view=view)

    def missing_views(self, set_id: int) -> list[str]:
        """The standard views of the set's area that it has no photo of yet."""
        self._ctx.require(PHOTOS_VIEW)
        with storage_errors():
            owner = self._repo.set_owner(set_id)
            if owner is None:
                raise UserError("This photo set is no longer in the data file.")
            photos = self._repo.photos_of_set(set_id)
        return missing_views_of(owner[1], photos, self.views)

    def compare_pair(self, patient_id: int, area: str, view: str) -> list[Photo]:
        """Every photo of one view of one area, oldest first: the dates the compare view
        steps through (the first is the baseline's when it has that view)."""
        self._ctx.require(PHOTOS_VIEW)
        with storage_errors():
            found = self._repo.photos_of_patient(patient_id, area=area, view=view)
        return found[::-1]

    def image(self, photo: Photo) -> bytes:
        """The stored picture (a clean JPEG, long side at most 2,048 px)."""
        self._ctx.require(PHOTOS_VIEW)
        return self._store.get(photo.ref)

    def thumbnail(self, photo: Photo) -> bytes:
        """The stored thumbnail (a JPEG, long side at most 320 px)."""
        self._ctx.require(PHOTOS_VIEW)
        return self._store.get(photo.thumb_ref)

    # ---- taking --------------------------------------------------------------------------
    def new_set(
        self,
        patient_id: int,
        area: str,
        *,
        session_id: int | None = None,
        taken_on: date | None = None,
        course_id: int | None = None,
    ) -> PhotoSet:
        """Start a set of photos of ``area`` for a session, or before a course starts.

        The set belongs to ``course_id``, else to the session's course, else to the
        patient's newest active course of that area (so photos taken before the first
        session are that course's baseline). The first set of a course (and area) is its
        baseline.

        Raises:
            UserError: the patient has not agreed to photos for their record, the area is not
                one photos are taken of, the day is in the future, or the session or course
                is not this patient's.
        """
        self._ctx.require(PHOTOS_TAKE)
        if area not in self.views.by_area:
            raise UserError(f"Photos are not taken of “{area}”: choose the face or the scalp.")
        day = taken_on or self._ctx.today()
        if day > self._ctx.today():
            raise UserError("A photo set cannot be dated in the future.")
        with storage_errors():
            self._require_record_consent(patient_id)
            series_id, course_id = self._link(patient_id, area, session_id, course_id)
        by = self._ctx.desk.require().id
        now = self._ctx.now()
        with self._ctx.write():
            set_id = self._repo.add_set(
                patient_id,
                area,
                session_id=series_id,
                course_id=course_id,
                taken_on=day,
                at=now,
                by=by,
            )
            made = next(s for s in self._sets(patient_id) if s.id == set_id)
            self._ctx.audit(
                "create",
                "photo_sets",
                set_id,
                patient_id=patient_id,
                summary=f"Photo set of the {self.views.area_label(area).lower()} started "
                f"({made.label}, {format_short(day)})",
                after={
                    "area": area,
                    "taken_on": day.isoformat(),
                    "session_id": series_id,
                    "course_id": course_id,
                    "baseline": made.is_baseline,
                },
                at=now,
            )
        return made

    def prepare(self, data: bytes) -> PreparedPhoto:
        """Decode, clean (no metadata), turn upright, scale and encode a picture; any thread.

        Touches neither the data file nor the photo store, so it needs no permission: the
        picture is kept only by ``add_prepared``.

        Raises:
            UserError: not a JPEG, PNG or HEIC picture, damaged, or far too large.
        """
        from exodesk.services.photo_import import prepare_photo

        return prepare_photo(data)

    def add_prepared(
        self,
        set_id: int,
        view: str,
        prepared: PreparedPhoto,
        *,
        source: str,
        taken_at: datetime | None = None,
    ) -> Photo:
        """Keep a prepared picture in the photo store and add it to the set.

        ``taken_at`` defaults to when the camera says it took the picture, else now.

        Raises:
            UserError: no photo consent for the record; the view is not one of the set's area;
                the set is gone; the source is unknown.
        """
        self._ctx.require(PHOTOS_TAKE)
        if source not in SOURCES:
            raise UserError(f"{source} is not a way photos come in.")
        with storage_errors():
            owner = self._repo.set_owner(set_id)
            if owner is None:
                raise UserError("This photo set is no longer in the data file.")
            patient_id, area = owner
            self._require_record_consent(patient_id)
        if not self.views.allows(area, view):
            raise UserError(f"“{view}” is not a view of the {self.views.area_label(area).lower()}.")
        when = taken_at or _local(prepared.taken_at) or self._ctx.now()
        # The blobs first: a row never names a picture the store does not hold. (A picture
        # stored whose row then fails is kept unnamed, as the store never deletes.)
        ref = self._store.put(prepared.jpeg)
        thumb_ref = self._store.put(prepared.thumbnail)
        now = self._ctx.now()
        label = self.views.label(area, view)
        with self._ctx.write():
            photo_id = self._repo.add_photo(
                NewPhoto(
                    set_id=set_id,
                    patient_id=patient_id,
                    view=view,
                    ref=ref,
                    thumb_ref=thumb_ref,
                    original_sha256=prepared.original_sha256,
                    width=prepared.width,
                    height=prepared.height,
                    taken_at=when,
                    source=source,
                ),
                at=now,
                by=self._ctx.desk.require().id,
            )
            self._ctx.audit(
                "create",
                "photos",
                photo_id,
                patient_id=patient_id,
                summary=f"Photo added: {label} ({SOURCES[source].lower()})",
                after={
                    "set_id": set_id,
                    "view": view,
                    "ref": ref,
                    "original_sha256": prepared.original_sha256,
                    "source": source,
                },
                at=now,
            )
            photo = self._repo.photo(photo_id)
        assert photo is not None
        return photo

    def add_photo(
        self,
        set_id: int,
        view: str,
        data: bytes,
        *,
        source: str,
        taken_at: datetime | None = None,
    ) -> Photo:
        """Run the import pipeline on a picture's bytes and add it to the set.

        Raises:
            UserError: no photo consent for the record (checked before anything is decoded);
                the picture cannot be imported (a plain sentence says why).
        """
        self._ctx.require(PHOTOS_TAKE)
        with storage_errors():
            owner = self._repo.set_owner(set_id)
        if owner is None:
            raise UserError("This photo set is no longer in the data file.")
        self._require_record_consent(owner[0])
        return self.add_prepared(set_id, view, self.prepare(data), source=source, taken_at=taken_at)

    def import_files(
        self,
        set_id: int,
        items: list[tuple[str, Path]],
        progress: Progress | None = None,
        *,
        source: str = "file",
    ) -> list[Photo]:
        """Import picture files into a set, each as its view: ``items`` is [(view, path)].

        Pictures are prepared two at a time (one per core) and added in the order given;
        ``progress(done, total)`` is called after each. The first picture that cannot be
        imported stops the import: those before it stay (each is a photo of its own), and the
        error names the file.

        Raises:
            UserError: no photo consent; a file cannot be read or is not a picture.
        """
        from exodesk.services.photo_import import prepare_photo, read_picture_file

        self._ctx.require(PHOTOS_TAKE)
        with storage_errors():
            owner = self._repo.set_owner(set_id)
        if owner is None:
            raise UserError("This photo set is no longer in the data file.")
        self._require_record_consent(owner[0])

        def prepared(path: Path) -> PreparedPhoto:
            try:
                return prepare_photo(read_picture_file(path))
            except UserError as exc:
                if path.name in exc.message:
                    raise
                raise UserError(f"{path.name}: {exc.message}", advice=exc.advice) from exc

        added: list[Photo] = []
        workers = max(1, min(2, os.cpu_count() or 1))
        with concurrent.futures.ThreadPoolExecutor(workers, "photo-import") as pool:
            futures = [pool.submit(prepared, path) for _, path in items]
            try:
                for n, ((view, _path), future) in enumerate(zip(items, futures, strict=True)):
                    added.append(self.add_prepared(set_id, view, future.result(), source=source))
                    if progress is not None:
                        progress(n + 1, len(items))
            finally:
                for future in futures:
                    future.cancel()
        return added

    def mark_entered_in_error(self, photo_id: int, reason: str) -> None:
        """Hide a photo taken by mistake (wrong patient, wrong view): it is kept, with the
        reason, and never deleted.

        Raises:
            UserError: no reason given; no such photo; it is already marked.
        """
        self._ctx.require(PHOTOS_ERROR)
        reason = reason.strip()
        problems = validate_reason(reason, "reason it was entered in error")
        if problems:
            raise UserError(problems[0].message)
        with storage_errors():
            photo = self._repo.photo(photo_id)
        if photo is None:
            raise UserError("This photo is no longer in the data file.")
        if photo.entered_in_error:
            raise UserError("This photo is already marked as entered in error.")
        now = self._ctx.now()
        with self._ctx.write():
            self._repo.mark_error(photo_id, reason, at=now, by=self._ctx.desk.require().id)
            self._ctx.audit(
                "entered_in_error",
                "photos",
                photo_id,
                patient_id=photo.patient_id,
                summary=f"Photo entered in error: {reason}",
                before={"status": "current"},
                after={"status": "entered_in_error", "reason": reason},
                at=now,
            )

    # ---- consent -------------------------------------------------------------------------
    def consent(self, patient_id: int) -> PhotoConsent | None:
        """The patient's photo consent as it stands (levels in force), or None if never
        signed."""
        self._ctx.require(PHOTOS_VIEW)
        with storage_errors():
            return self._repo.consent(patient_id)

    def may(self, patient_id: int, level: str) -> bool:
        """Whether the patient's photo consent allows ``level`` now (record, teaching,
        marketing). Every use of a photo beyond the clinical record asks this first."""
        if level not in CONSENT_LEVELS:
            raise ValueError(f"unknown photo consent level {level!r}")
        with storage_errors():
            held = self._repo.consent(patient_id)
        return held is not None and level in held.levels

    def consent_text(self) -> tuple[int, str]:
        """(version, text) of the clinic's photo consent wording (the bundled one until
        edited)."""
        return self._wording().current()

    def default_consent_text(self) -> str:
        """The bundled photo consent wording."""
        return self._ctx.bundled.photo_consent_text

    def save_consent_text(self, text: str) -> SaveResult:
        """Store edited photo consent wording as a new version; signed forms keep theirs."""
        self._ctx.require(CLINICAL_TEXTS_EDIT)
        return self._wording().save(text)

    def _wording(self) -> SignedWording:
        return SignedWording(
            self._ctx,
            "photo_consent_texts",
            default=self.default_consent_text,
            name="The photo consent text",
            topic=PHOTOS,
        )

    def record_consent(
        self, patient_id: int, levels: Iterable[str], signed_name: str, signature_png: bytes
    ) -> SaveResult:
        """Record the patient's signed photo consent at the levels they chose; it replaces
        any earlier one (which is kept)."""
        self._ctx.require(PHOTO_CONSENT)
        chosen = frozenset(levels)
        problems = validate_levels(chosen)
        problems += check_text(
            "signed_name", signed_name, "The patient's name", required=True, max_len=200
        )
        if not signature_png or not signature_png.startswith(b"\x89PNG"):
            problems.append(Problem("signature", "The patient needs to sign in the box."))
        elif len(signature_png) > MAX_SIGNATURE_BYTES:
            problems.append(
                Problem("signature", "The signature image is too large; clear and sign again.")
            )
        if problems:
            return SaveResult(problems=problems)
        with storage_errors():
            self._require_patient(patient_id)
        name = signed_name.strip()
        by = self._ctx.desk.require().id
        now = self._ctx.now()
        with self._ctx.write():
            latest = self._repo.latest_consent_text()
            if latest is None:
                text_id, version = self._repo.add_consent_text(
                    self.default_consent_text(), at=now, by=None
                )
            else:
                text_id, version = latest[0], latest[1]
            consent_id = self._repo.add_consent(
                patient_id, text_id, chosen, name, self._ctx.today(), signature_png, at=now, by=by
            )
            words = ", ".join(CONSENT_SHORT[level] for level in CONSENT_LEVELS if level in chosen)
            self._ctx.audit(
                "consent",
                "photo_consents",
                consent_id,
                patient_id=patient_id,
                summary=f"Photo consent signed by {name} for {words} (text v{version})",
                after={
                    "levels": sorted(chosen),
                    "consent_text_version": version,
                    "signed_name": name,
                },
                at=now,
            )
            stored = self._repo.consent(patient_id)
        return SaveResult(record=stored, changes=Changes(frozenset({PHOTOS}), patient_id))

    def revoke_consent(self, patient_id: int, level: str) -> None:
        """Record that the patient took back one level of their photo consent. Taking back
        the record level takes back every level: no new photo can be taken; those taken stay
        in the record.

        Raises:
            UserError: the level is unknown or not in force.
        """
        self._ctx.require(PHOTO_CONSENT)
        if level not in CONSENT_LEVELS:
            raise UserError(f"{level} is not a photo consent level.")
        with storage_errors():
            held = self._repo.consent(patient_id)
        if held is None or level not in held.levels:
            raise UserError(
                f"This patient has no {CONSENT_SHORT[level]} photo consent to take back."
            )
        now = self._ctx.now()
        with self._ctx.write():
            row_id = self._repo.revoke(held.id, level, at=now, by=self._ctx.desk.require().id)
            self._ctx.audit(
                "consent_revoked",
                "photo_consent_revocations",
                row_id,
                patient_id=patient_id,
                summary=f"Photo consent for {CONSENT_SHORT[level]} taken back"
                + (" (so no photo can be taken)" if level == RECORD else ""),
                before={"levels": sorted(held.levels)},
                after={"revoked": level},
                at=now,
            )

    # ---- ratings -------------------------------------------------------------------------
    def scales(self, patient_id: int, area: str) -> tuple[str, ...]:
        """The scales a set of ``area`` of this patient is rated on (Norwood for men,
        Ludwig for women, the improvement scale for the face)."""
        self._ctx.require(PHOTOS_VIEW)
        with storage_errors():
            patient = self._patients.get(patient_id)
        return scales_for(area, patient.sex if patient else "")

    def rate(self, set_id: int, scale: str, value: str) -> None:
        """Rate a set on a scale; a later rating of the same set and scale replaces it in
        charts (both are kept).

        Raises:
            UserError: the scale does not rate this set's area, or the value is not on it.
        """
        self._ctx.require(PHOTOS_TAKE)
        with storage_errors():
            owner = self._repo.set_owner(set_id)
        if owner is None:
            raise UserError("This photo set is no longer in the data file.")
        patient_id, area = owner
        problems = validate_rating(area, scale, value)
        if problems:
            raise UserError(problems[0].message)
        now = self._ctx.now()
        with self._ctx.write():
            row_id = self._repo.add_rating(
                set_id, scale, value, at=now, by=self._ctx.desk.require().id
            )
            self._ctx.audit(
                "create",
                "photo_ratings",
                row_id,
                patient_id=patient_id,
                summary=f"{SCALE_LABELS[scale]}: {value_label(scale, value)}",
                after={"set_id": set_id, "scale": scale, "value": value},
                at=now,
            )

    def ratings(self, patient_id: int) -> list[Rating]:
        """Every rating of the patient's sets, oldest first (``newest_ratings`` keeps the
        standing one per set and scale)."""
        self._ctx.require(PHOTOS_VIEW)
        with storage_errors():
            return self._repo.ratings(patient_id)

    # ---- the progress sheet --------------------------------------------------------------
    def progress_sheet_data(
        self, patient_id: int, pairs: Sequence[tuple[int, int]]
    ) -> ProgressSheet:
        """The progress sheet of chosen (earlier photo id, later photo id) pairs of one area,
        with the standing rating of each of that area's sets over the course; print it with
        ``services.photo_sheet.sheet_job``.

        Raises:
            UserError: no pair or more than a page holds; a photo is not this patient's, is
                entered in error, or the pairs mix areas.
        """
        from exodesk.domain.photo_sheet import ProgressPair, photo_caption, scale_label
        from exodesk.services.photo_sheet import PhotoSheetService

        self._ctx.require(PHOTOS_VIEW)
        with storage_errors():
            sets = {s.id: s for s in self._sets(patient_id)}
            chosen = [(self._repo.photo(b), self._repo.photo(a)) for b, a in pairs]
            ratings = newest_ratings(self._repo.ratings(patient_id))
        photos = [p for pair in chosen for p in pair]
        if any(p is None or p.patient_id != patient_id or p.entered_in_error for p in photos):
            raise UserError("A chosen photo is no longer in this patient's record.")
        areas = {sets[p.set_id].area for p in photos if p is not None}
        if len(areas) > 1:
            raise UserError(
                "A progress sheet shows one area: choose pairs of the face or of the scalp."
            )
        area = next(iter(areas), "face")

        def caption(photo: Photo) -> str:
            held = sets[photo.set_id]
            return photo_caption(held.taken_on, held.label)

        sheet_pairs = []
        for before, after in chosen:
            assert before is not None and after is not None
            if (after.taken_at, after.id) < (before.taken_at, before.id):
                before, after = after, before
            sheet_pairs.append(
                ProgressPair(
                    view_label=self.views.label(area, before.view),
                    before_jpeg=self._store.get(before.ref),
                    before_caption=caption(before),
                    after_jpeg=self._store.get(after.ref),
                    after_caption=caption(after),
                )
            )
        rows = [
            (scale_label(r.scale), sets[r.set_id].taken_on, value_label(r.scale, r.value))
            for r in ratings
            if r.set_id in sets and sets[r.set_id].area == area
        ]
        return PhotoSheetService(self._ctx).sheet(
            patient_id,
            area_label=self.views.area_label(area),
            pairs=sheet_pairs,
            ratings=sorted(rows, key=lambda r: (r[1], r[0])),
        )

    # ---- the baseline rule ---------------------------------------------------------------
    def baseline_missing(
        self, patient_id: int, course_id: int, areas: Iterable[str], *, day: date
    ) -> str | None:
        """A plain sentence when the course has no baseline photo set for the session's area
        yet, else None. The session service asks this before the first session of a course
        when the clinic requires baseline photos."""
        with storage_errors():
            return baseline_missing(
                self._repo, self._courses, self.views, patient_id, course_id, areas, day=day
            )

    # ---- helpers -------------------------------------------------------------------------
    def _require_patient(self, patient_id: int) -> None:
        if self._patients.get(patient_id) is None:
            raise UserError("This patient is no longer in the data file.")

    def _require_record_consent(self, patient_id: int) -> None:
        self._require_patient(patient_id)
        held = self._repo.consent(patient_id)
        if held is None or RECORD not in held.levels:
            raise UserError(NO_RECORD_CONSENT, advice="Open Photo consent on the patient's record.")

    def _link(
        self, patient_id: int, area: str, session_id: int | None, course_id: int | None
    ) -> tuple[int | None, int | None]:
        """(the session's series id, the course id) a new set belongs to."""
        series_id = None
        if session_id is not None:
            session = self._sessions.get(session_id)
            if session is None or session.patient_id != patient_id:
                raise UserError("That session is not this patient's.")
            series_id = session.series_id or session.id
            if course_id is None:
                course_id = session.course_id
        if course_id is not None:
            course = self._courses.course(course_id)
            if course is None or course.patient_id != patient_id:
                raise UserError("That course is not this patient's.")
            return series_id, course_id
        if series_id is not None:
            return series_id, None  # a session outside any course
        fitting = [
            c
            for c in self._courses.courses_for(patient_id)
            if c.status == "active" and area_for_course(c.treatment, c.indication) == area
        ]
        return None, fitting[0].id if fitting else None  # newest first

    def _sets(self, patient_id: int) -> list[PhotoSet]:
        facts = self._repo.set_facts(patient_id)
        baselines = baseline_ids(facts)
        courses: dict[int, Course | None] = {}
        # Course session numbers: each course's current sessions, oldest first, by series.
        numbers: dict[int, list[tuple[date, int]]] = {}
        sessions = self._sessions.for_patient(patient_id)
        for s in sessions:
            if s.course_id is not None:
                numbers.setdefault(s.course_id, []).append(
                    (s.performed_at.date(), int(s.series_id or s.id or 0))
                )
        for listed in numbers.values():
            listed.sort()
        made: list[PhotoSet] = []
        for f in facts:
            planned = number = None
            before = 0
            if f.course_id is not None:
                if f.course_id not in courses:
                    courses[f.course_id] = self._courses.course(f.course_id)
                course = courses[f.course_id]
                planned = course.planned_sessions if course else None
                given = numbers.get(f.course_id, [])
                series = [sid for _, sid in given]
                if f.session_id is not None and f.session_id in series:
                    number = series.index(f.session_id) + 1
                # A baseline is taken before that day's session; a later set after it.
                before = sum(
                    1
                    for day, _ in given
                    if day < f.taken_on or (day == f.taken_on and f.id not in baselines)
                )
            label = set_label(
                is_baseline=f.id in baselines,
                session_number=number,
                planned=planned,
                sessions_before=before,
            )
            made.append(
                PhotoSet(
                    id=f.id,
                    patient_id=patient_id,
                    area=f.area,
                    session_id=f.session_id,
                    taken_on=f.taken_on,
                    is_baseline=f.id in baselines,
                    course_id=f.course_id,
                    label=label,
                )
            )
        made.sort(key=lambda s: (s.taken_on, s.id), reverse=True)
        return made


def baseline_missing(
    repo: PhotoRepository,
    courses: CourseRepository,
    views: ViewTable,
    patient_id: int,
    course_id: int,
    areas: Iterable[str],
    *,
    day: date,
) -> str | None:
    """See ``PhotoService.baseline_missing`` (shared with the session service, which must not
    need the photo service's imports to save a session)."""
    course = courses.course(course_id)
    if course is None:
        return None
    chosen = set(areas)
    area = next(
        (a for a in ("scalp", "face") if a in chosen and a in views.by_area),
        area_for_course(course.treatment, course.indication),
    )
    if repo.course_has_set(course_id, area):
        return None
    earliest = course.started_on - timedelta(days=BASELINE_LEAD_DAYS)
    if repo.loose_set_between(patient_id, area, earliest, day):
        return None
    return (
        f"The clinic asks for baseline photos before a course's first session, and this "
        f"course has no photos of the {views.area_label(area).lower()} yet. Take the "
        "baseline set (Photos on the patient's record), then save the session."
    )


def _local(moment: datetime | None) -> datetime | None:
    """A camera's local time as an aware time (the PC's time zone), or None."""
    return moment.astimezone() if moment is not None else None
