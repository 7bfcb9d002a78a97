"""The clinic's catalogue: products, their lots, and the course protocol templates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from exodesk.domain.accounts import CATALOGUE_EDIT
from exodesk.domain.allergies import (
    Allergen,
    contents_known,
    find_allergens,
    split_names,
    validate_allergen,
)
from exodesk.domain.courses import ProtocolDetails, validate_protocol
from exodesk.domain.problems import Problem
from exodesk.domain.sessions import Lot, Product, ProtocolTemplate, validate_lot, validate_product
from exodesk.errors import UserError
from exodesk.services.context import Changes, SaveResult, ServiceContext
from exodesk.services.plain import plain
from exodesk.storage.allergies import AllergenRepository
from exodesk.storage.database import storage_errors
from exodesk.storage.sessions import CourseRepository, ProductRepository

CATALOGUE = "catalogue"


class CatalogueService:
    """Products, lots and protocols: reference data everyone reads, practitioners change."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._products = ProductRepository(ctx.db)
        self._courses = CourseRepository(ctx.db)
        self._allergens = AllergenRepository(ctx.db)

    def today(self) -> date:
        return self._ctx.today()

    # ---- products and lots -------------------------------------------------------------------
    def products(self, *, include_inactive: bool = False) -> list[Product]:
        with storage_errors():
            return self._products.products(include_inactive=include_inactive)

    def product(self, product_id: int) -> Product:
        with storage_errors():
            found = self._products.product(product_id)
        if found is None:
            raise UserError("That product is no longer in the catalogue.")
        return found

    def save_product(self, product: Product) -> SaveResult:
        """Add or change a product. Every listed allergen its ingredients name is ticked too,
        so the allergy check never misses what the label says; ``allergens_recorded`` is kept
        once ingredients or allergens were given (or "none of the listed" was said)."""
        self._ctx.require(CATALOGUE_EDIT)
        with storage_errors():
            allergens = self._allergens.allergens(include_inactive=True)
        named = {int(a.id or 0) for a in find_allergens(product.ingredients, allergens)}
        ids = frozenset(product.allergen_ids | named)
        product = replace(
            product,
            name=product.name.strip(),
            manufacturer=product.manufacturer.strip(),
            ingredients=product.ingredients.strip(),
            allergen_ids=ids,
            allergens_recorded=contents_known(product.ingredients, ids, product.allergens_recorded),
        )
        problems = validate_product(product)
        if ids - {a.id for a in allergens}:
            problems.append(
                Problem("allergens", "An allergen ticked is no longer on the list; tick again.")
            )
        if problems:
            return SaveResult(problems=problems)
        now = self._ctx.now()
        with self._ctx.write():
            before = self._products.product(product.id) if product.id else None
            product_id = self._products.save_product(product, at=now.isoformat())
            self._ctx.audit(
                "update" if before else "create",
                "products",
                product_id,
                summary=f"Product {product.name}",
                before=plain(before),
                after=plain(product),
                at=now,
            )
            stored = self._products.product(product_id)
        return SaveResult(record=stored, changes=Changes(frozenset({CATALOGUE})))

    def lots(self, product_id: int | None = None) -> list[Lot]:
        with storage_errors():
            return self._products.lots(product_id)

    def lot(self, lot_id: int) -> Lot:
        with storage_errors():
            found = self._products.lot(lot_id)
        if found is None:
            raise UserError("That lot is not in the catalogue.")
        return found

    def save_lot(self, lot: Lot) -> SaveResult:
        self._ctx.require(CATALOGUE_EDIT)
        lot = replace(lot, lot_number=lot.lot_number.strip())
        problems = validate_lot(lot, today=self.today())
        with storage_errors():
            if not problems and self._products.lot_exists(
                lot.product_id, lot.lot_number, other_than=lot.id
            ):
                problems.append(Problem("lot_number", "This product already has that lot number."))
        if problems:
            return SaveResult(problems=problems)
        now = self._ctx.now()
        with self._ctx.write():
            before = self._products.lot(lot.id) if lot.id else None
            lot_id = self._products.save_lot(lot, at=now.isoformat())
            self._ctx.audit(
                "update" if before else "create",
                "lots",
                lot_id,
                summary=f"Lot {lot.lot_number}",
                before=plain(before),
                after=plain(lot),
                at=now,
            )
            stored = self._products.lot(lot_id)
        return SaveResult(record=stored, changes=Changes(frozenset({CATALOGUE})))

    # ---- the allergen list -------------------------------------------------------------------
    def allergens(self, *, include_inactive: bool = False) -> list[Allergen]:
        """The clinic's allergen list (reference data), by name."""
        with storage_errors():
            return self._allergens.allergens(include_inactive=include_inactive)

    def save_allergen(self, allergen: Allergen) -> SaveResult:
        """Add an entry to the clinic's allergen list, or change one (never removed: an entry
        no longer used is unticked "in use"; allergies and products that name it keep it)."""
        self._ctx.require(CATALOGUE_EDIT)
        allergen = replace(
            allergen,
            name=" ".join(allergen.name.split()),
            also_called=split_names(", ".join(allergen.also_called)),
        )
        with storage_errors():
            taken = self._allergens.terms()
            before = self._allergens.allergen(allergen.id) if allergen.id is not None else None
        if allergen.id is not None and before is None:
            raise UserError("That substance is no longer on the list.")
        if before is not None:
            # What an entry stands for is fixed when it is made: a group stays a group.
            allergen = replace(allergen, key=before.key, covers_kind=before.covers_kind)
        problems = validate_allergen(allergen, taken=taken)
        if problems:
            return SaveResult(problems=problems)
        now = self._ctx.now()
        with self._ctx.write():
            allergen_id = self._allergens.save(
                allergen, at=now.isoformat(), by=self._ctx.desk.require().id
            )
            stored = self._allergens.allergen(allergen_id)
            self._ctx.audit(
                "update" if before else "create",
                "allergens",
                allergen_id,
                summary=f"Allergen {allergen.name}",
                before=plain(before),
                after=plain(stored),
                at=now,
            )
        return SaveResult(record=stored, changes=Changes(frozenset({CATALOGUE})))

    # ---- protocols ---------------------------------------------------------------------------
    def protocols(self) -> list[ProtocolTemplate]:
        """The clinic's protocol templates (the bundled §3 protocols until edited)."""
        with storage_errors():
            stored = {t.key: t for t in self._courses.protocols()}
        bundled = [stored.pop(t.key, t) for t in self._ctx.bundled.protocols.templates]
        return bundled + list(stored.values())  # the clinic's own protocols after ours

    def protocol_details(self, key: str) -> ProtocolDetails | None:
        """The bundled details of a protocol (treatments, default sessions, sources, whether
        its numbers are an estimate); None for a protocol the clinic created itself."""
        return self._ctx.bundled.protocols.details_for(key)

    def save_protocol(self, template: ProtocolTemplate) -> SaveResult:
        self._ctx.require(CATALOGUE_EDIT)
        problems = validate_protocol(template)
        if problems:
            return SaveResult(problems=problems)
        now = self._ctx.now()
        with self._ctx.write():
            self._courses.save_protocol(template, at=now.isoformat())
            self._ctx.audit(
                "update",
                "protocol_templates",
                None,
                summary=f"Protocol {template.label}",
                after=plain(template),
                at=now,
            )
        return SaveResult(record=template, changes=Changes(frozenset({CATALOGUE})))
