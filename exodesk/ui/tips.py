"""Tooltips for verdicts and flags: what each means and what to do, in one place to review.

One plain sentence each, for the staff at the desk. The facts are the clinical spec's and the
rule table's; nothing here promises a result or adds a clinical claim. Every flag shown as a
colour and a symbol has its meaning here, so colour is never the only sign.
"""

from __future__ import annotations

from exodesk.domain.screening import Item, RuleTable

# ---- screening ----------------------------------------------------------------------------
# The same meanings as the user guide's "What the verdicts mean", with what to do next.
VERDICT_TIPS: dict[str, str] = {
    "proceed": "Nothing in the answers stands in the way of this treatment.",
    "precautions": (
        "It may go ahead; the practitioner takes the precautions listed under "
        "“For the practitioner”."
    ),
    "review": (
        "A physician or specialist must clear the patient first; the practitioner then "
        "records it with the Sign off button."
    ),
    "defer": (
        "Book the session from the date on the card, or once what the card names has happened "
        "(such as an infection clearing up)."
    ),
    "decline": (
        "The patient is not a candidate for this treatment; Compare treatments shows what "
        "else there is."
    ),
}
NO_VERDICT = "The verdict appears here once every question has an answer."
SIGNED_OFF = "A practitioner recorded the doctor's decision on this review (who, when, note)."
OVERRIDDEN = (
    "A practitioner overrode this verdict and recorded why; it shows in red wherever this "
    "screening appears."
)
SCREENING_LAPSED = (
    "This screening has passed its valid days and no longer clears a session: take a new "
    "screening with the patient."
)
SIGN_OFF_BUTTON = (
    "Record the doctor's decision on a “Needs a doctor's review first” verdict: cleared or "
    "not cleared, with a note."
)
OVERRIDE_BUTTON = (
    "Let a session go ahead despite a deferral, a decline or a review not cleared; your "
    "reason, name and the time are recorded."
)
CONSENT_BUTTON = "The patient reads the clinic's consent text and signs it on screen."
NEW_SCREENING_BUTTON = "Start a new screening; the earlier ones are kept as they were."
SIGNOFF_CLEARED = "The doctor has cleared the patient: sessions of this treatment can be recorded."
SIGNOFF_NOT_CLEARED = (
    "The doctor has not cleared the patient; say why in the note. Only an override then lets a "
    "session go ahead."
)


def item_tip(table: RuleTable, item: Item) -> str:
    """Which screening rules an answer feeds, and the verdicts they can give.

    Empty for the free-text items, which no rule reads.
    """
    rules = [rule for rule in table.rules if item.id in rule.items]
    if not rules:
        return ""
    parts = []
    for rule in rules:
        outcomes = sorted({e.outcome for e in rule.effects}, key=table.severity, reverse=True)
        words = " or ".join(f"“{table.verdict_label(o)}”" for o in outcomes)
        parts.append(f"{rule.title} ({words})")
    return "Used by the screening rules: " + "; ".join(parts) + "."


# ---- sessions ------------------------------------------------------------------------------
GATE_ALLOWED = "The patient's current screening allows this treatment."
GATE_BLOCKED = (
    "The screening stands in the way for the reason given; the session can only be saved with "
    "a reason to override it."
)
GATE_REASON = "Why it is safe to go ahead despite the screening; it is recorded with your name."
LOT_EXPIRED = "Choose another lot: an expired one cannot be used."
LOT_EXPIRING = "Use it only up to that date; after it the lot cannot be used."
LOT_LAB_REPORTS = (
    "Clinics are advised to ask the supplier for these reports; tick them under Records → "
    "Products and lots once they are on file."
)
LOT_CHOOSE = "Point at a lot in the list to see its expiry and lab reports."
LOT_FINE = "In date, with every lab report on file."
LOT_FINE_NO_REPORTS = (
    "In date (lab reports are asked for with biologics only, such as exosome products)."
)
NEEDLE_DEPTH = "Deeper than usual for this area: check the depth was meant before saving."
SPACING = (
    "Sooner after another session than the course plans (or, without a course, four weeks for "
    "needled skin): give a reason to save."
)
SPACING_REASON = "Why this session goes ahead sooner than planned; it is recorded with the session."
REGULATORY_NOTE = (
    "Tick to confirm you have read this note; the session saves only once every note is ticked."
)
DELIVERY = (
    "How the product reached the skin; it decides which regulatory notes apply and whether "
    "the same area needs time to heal before the next needling."
)

EVENT_TYPE = (
    "Granulomas (lumps) can appear weeks or months after a session; necrosis shows as dark, "
    "discoloured patches."
)
EVENT_SUPPLIER = "Tick once the product's supplier has been told of this event."
EVENT_REGULATOR = "Tick once the event has been reported to the regulator; add their reference."

COURSE_STATE_TIPS: dict[str, str] = {
    "not_started": "No session of this course yet: the first can be any time.",
    "not_yet": "The next session is not due yet: the dates show when it is.",
    "due": "The next session is due: book it within the dates shown.",
    "overdue": "The window for the next session has passed: contact the patient to book.",
    "complete": "Every planned session is done.",
    "maintenance_due": "A maintenance session is due within the dates shown.",
    "maintenance_overdue": (
        "The maintenance window has passed: contact the patient if they want to continue."
    ),
}
TIMELINE_ALERT = (
    "In red: needs attention (a screening override, an entry in error or a severe adverse "
    "event); select it for details."
)
TIMELINE_MUTED = "In grey: amended later or entered in error; kept in the record but not counted."


# ---- patients -------------------------------------------------------------------------------
PATIENT_ALERTS = "Alerts recorded for this patient (allergies, needs): read them before treating."
PATIENT_INACTIVE = (
    "This record is inactive: kept, but off the active list; make sure it is the right patient "
    "(Patients tab → Make active again)."
)

# ---- comparison ------------------------------------------------------------------------------
CLINIC_WORDING = "In the clinic's own words, not the standard sourced text."


def mark_tip(verdict: str) -> str:
    """The tooltip of a treatment's screening mark on the comparison."""
    meaning = VERDICT_TIPS.get(verdict, "")
    return f"From this patient's current screening. {meaning}".strip()


# ---- allergies -----------------------------------------------------------------------------
ALLERGIES_LISTED = (
    "The patient's allergies, from the allergy list. A product or anaesthetic that contains one "
    "is stopped when a session is recorded."
)
ALLERGIES_NONE_KNOWN = "Someone asked the patient and recorded that they have no known allergies."
ALLERGIES_NOT_RECORDED = (
    "Nobody has recorded this patient's allergies yet: ask, then record them (or that there are "
    "none) with the Allergies button."
)
ALLERGIES_BUTTON = "See, add or correct the patient's allergies (Alt+L)."
ALLERGY_STOP = (
    "The patient is allergic to something this product or anaesthetic contains. Change what is "
    "used, or give a reason to go ahead: it is recorded with your name and printed with the "
    "session."
)
ALLERGY_REASON = (
    "Why it is safe to go ahead despite the allergy (for example, an allergist's letter); it is "
    "recorded with your name, audited and printed with the session."
)
ALLERGY_UNKNOWN = (
    "Nobody has recorded what this contains, so ExoDesk cannot check it against the patient's "
    "allergies: check its label, then record its ingredients in Products and lots."
)
ALLERGY_UNLISTED = (
    "This allergy is typed as free text and names nothing on the clinic's allergen list, so it "
    "is found only where a product's ingredients name it: check the labels."
)
ALLERGIES_NOT_ASKED = (
    "The patient's allergies are not recorded: ask before using any product, and record them."
)
SUBSTANCE = (
    "Choose the substance from the clinic's allergen list, or type it if it is not there. "
    "A substance on the list is checked against every product's allergens."
)
PRODUCT_INGREDIENTS = (
    "The ingredients as the label lists them. Listed allergens named here are ticked on saving."
)
PRODUCT_ALLERGENS = (
    "The allergens on the clinic's list that this product contains. A session stops a patient "
    "allergic to any of them."
)
PRODUCT_NO_ALLERGENS = (
    "Tick once the label has been checked and it contains none of the listed allergens."
)
