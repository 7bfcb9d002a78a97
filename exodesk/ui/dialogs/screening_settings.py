"""The clinic's stricter screening rules and its consent text: a settings page and its dialog."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.screening import VERDICT_ORDER
from exodesk.errors import UserError
from exodesk.services.context import Changes
from exodesk.services.screening import ScreeningService
from exodesk.ui.common import clear_when_edited, error_label, named
from exodesk.ui.dialogs.settings_page import SettingsPage, merge_changes
from exodesk.ui.errors import show_user_error
from exodesk.ui.widgets import NoWheelComboBox, NoWheelSpinBox

RULE, DEFAULT, OUTCOME, WINDOW = range(4)


class ScreeningSettingsPage(SettingsPage):
    """Two tabs: rules (only ever stricter than the defaults) and the consent text."""

    page_title = "Screening rules and consent"

    def __init__(self, screening: ScreeningService) -> None:
        super().__init__()
        self.setObjectName("screeningSettingsPage")
        self._screening = screening
        self._defaults = screening.bundled_rules()

        rules_page = self._build_rules_page()
        consent_page = self._build_consent_page()
        self.pages = named(QTabWidget(), "screeningSettingsPages", "Rules or consent text")
        self.pages.addTab(rules_page, "&Rules")
        self.pages.addTab(consent_page, "C&onsent text")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages, 1)
        self.discard()

    # ---- building ------------------------------------------------------------------------
    def _build_rules_page(self) -> QWidget:
        self.rules = named(
            QTableWidget(len(self._defaults.rules), 4), "rulesTable", "Screening rules"
        )
        self.rules.setHorizontalHeaderLabels(["Rule", "Default", "Clinic setting", "Window"])
        self.rules.verticalHeader().hide()
        # Tab goes through the clinic's settings and on out of the table, never trapped in it.
        self.rules.setTabKeyNavigation(False)
        # A rule's name may wrap in a narrow window: rows grow to show it whole.
        self.rules.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.rules.horizontalHeader()
        header.setSectionResizeMode(RULE, QHeaderView.ResizeMode.Stretch)
        for column in (DEFAULT, OUTCOME, WINDOW):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self._outcomes: dict[str, QComboBox] = {}
        self._windows: dict[str, QSpinBox] = {}
        for row, rule in enumerate(self._defaults.rules):
            self._add_rule_row(row, rule.id)
        self.rules_error = error_label("rulesError")
        restore_rules = named(
            QPushButton("Restore &default rules"),
            "restoreRules",
            "Restore default rules",
            "Puts every rule back to the standard table; Save to use it.",
        )
        restore_rules.clicked.connect(self.restore_rules)
        rules_page = QWidget()
        rules_layout = QVBoxLayout(rules_page)
        intro = QLabel(
            "A clinic may make a rule stricter — a more cautious verdict or a longer wait — "
            "never looser. Screenings record which rules judged them."
        )
        intro.setWordWrap(True)
        rules_layout.addWidget(intro)
        rules_layout.addWidget(self.rules, 1)
        rules_layout.addWidget(self.rules_error)
        rules_buttons = QHBoxLayout()
        rules_buttons.addWidget(restore_rules)
        rules_buttons.addStretch(1)
        rules_layout.addLayout(rules_buttons)
        return rules_page

    def _build_consent_page(self) -> QWidget:
        self.consent_version = QLabel()
        self.consent_version.setObjectName("consentVersion")
        self.consent = named(QPlainTextEdit(), "consentText", "Consent text")
        self.consent.setTabChangesFocus(True)
        self._consent_loaded = ""
        self.consent_error = error_label("consentError")
        clear_when_edited(self.consent_error, self.consent)
        restore_consent = named(
            QPushButton("Use the &standard wording"),
            "restoreConsent",
            "Restore the standard consent wording",
            "Puts the standard consent text back in the box; Save to use it.",
        )
        restore_consent.clicked.connect(
            lambda: self.consent.setPlainText(self._screening.default_consent_text())
        )
        consent_page = QWidget()
        consent_layout = QVBoxLayout(consent_page)
        note = QLabel(
            "Saving changed wording makes a new version; consent already signed keeps "
            "the version the patient signed."
        )
        note.setWordWrap(True)
        consent_layout.addWidget(note)
        consent_layout.addWidget(self.consent_version)
        consent_layout.addWidget(self.consent, 1)
        consent_layout.addWidget(self.consent_error)
        consent_buttons = QHBoxLayout()
        consent_buttons.addWidget(restore_consent)
        consent_buttons.addStretch(1)
        consent_layout.addLayout(consent_buttons)
        return consent_page

    def _add_rule_row(self, row: int, rule_id: str) -> None:
        default = self._defaults.rule(rule_id)
        strictest = max((e.outcome for e in default.effects), key=self._defaults.severity)
        mildest = min((e.outcome for e in default.effects), key=self._defaults.severity)
        title = QTableWidgetItem(default.title)
        title.setToolTip(
            "Applies to: " + ", ".join(self._defaults.treatment_label(t) for t in default.scope)
        )
        self.rules.setItem(row, RULE, title)
        words = sorted({self._defaults.verdict_label(e.outcome) for e in default.effects})
        self.rules.setItem(row, DEFAULT, QTableWidgetItem(" / ".join(words)))
        combo = named(
            NoWheelComboBox(),
            f"rule_{rule_id}_outcome",
            f"{default.title}: clinic verdict",
            "Only verdicts more cautious than the default are offered.",
        )
        combo.addItem("As default", None)
        for verdict in VERDICT_ORDER:
            if self._defaults.severity(verdict) > self._defaults.severity(strictest) or (
                verdict == strictest and mildest != strictest
            ):
                combo.addItem(f"Always {self._defaults.verdict_label(verdict)}", verdict)
        self.rules.setCellWidget(row, OUTCOME, combo)
        self._outcomes[rule_id] = combo
        if default.window is not None:
            unit, value = default.window
            spin = named(
                NoWheelSpinBox(),
                f"rule_{rule_id}_window",
                f"{default.title}: wait in {unit}",
                f"The wait can be made longer than the default {value} {unit}, never shorter.",
            )
            spin.setRange(value, 3650 if unit == "days" else 120)
            spin.setSuffix(f" {unit}")
            self.rules.setCellWidget(row, WINDOW, spin)
            self._windows[rule_id] = spin
        else:
            self.rules.setItem(row, WINDOW, QTableWidgetItem("—"))

    def first_field(self) -> QWidget:
        return self.rules if self.pages.currentIndex() == 0 else self.consent

    def discard(self) -> None:
        """Show the rules and consent text in use."""
        current = self._screening.rules()
        for rule_id, combo in self._outcomes.items():
            default, now = self._defaults.rule(rule_id), current.rule(rule_id)
            chosen = {e.outcome for e in now.effects}
            index = 0
            if now.effects != default.effects and len(chosen) == 1:
                index = max(0, combo.findData(chosen.pop()))
            combo.setCurrentIndex(index)
        for rule_id, spin in self._windows.items():
            now = current.rule(rule_id)
            spin.setValue(now.window[1] if now.window else spin.minimum())
        version, text = self._screening.consent_text()
        self.consent_version.setText(f"In use: version {version}")
        self.consent.setPlainText(text)
        self._consent_loaded = text
        for label in (self.rules_error, self.consent_error):
            label.hide()
        self.mark_clean()

    def overrides(self) -> dict[str, dict[str, Any]]:
        """The clinic's changes from the defaults, as the service stores them."""
        found: dict[str, dict[str, Any]] = {}
        for rule_id, combo in self._outcomes.items():
            if combo.currentData() is not None:
                found.setdefault(rule_id, {})["outcome"] = combo.currentData()
        for rule_id, spin in self._windows.items():
            unit, value = self._defaults.rule(rule_id).window  # type: ignore[misc]
            if spin.value() != value:
                found.setdefault(rule_id, {})[unit] = spin.value()
        return found

    def snapshot(self) -> tuple[dict[str, dict[str, Any]], str]:
        return self.overrides(), self.consent.toPlainText()

    def restore_rules(self) -> None:
        """Put every rule back to the standard table (stored when saved)."""
        for combo in self._outcomes.values():
            combo.setCurrentIndex(0)
        for rule_id, spin in self._windows.items():
            spin.setValue(self._defaults.rule(rule_id).window[1])  # type: ignore[index]

    def _store(self) -> Changes | None:
        overrides, consent = self.snapshot()
        clean_overrides, _ = self._clean
        changes = Changes()
        try:
            if overrides != clean_overrides:
                result = self._screening.set_rule_overrides(overrides)
                if not result.ok:
                    self.rules_error.setText(result.problems[0].message)
                    self.rules_error.show()
                    self.pages.setCurrentIndex(0)
                    return None
                changes = result.changes
                # Only the consent may still be refused: the rules are stored, so the page
                # must not offer them as unsaved again.
                self._clean = (overrides, self._consent_loaded)
            if consent != self._consent_loaded:
                saved = self._screening.save_consent_text(consent)
                if not saved.ok:
                    self.consent_error.setText(saved.problems[0].message)
                    self.consent_error.show()
                    self.pages.setCurrentIndex(1)
                    if changes.topics:  # the rules did change
                        self.changes = merge_changes(self.changes, changes)
                        self.saved.emit(changes)
                    return None
                changes = merge_changes(changes, saved.changes)
                version, self._consent_loaded = self._screening.consent_text()
                self.consent_version.setText(f"In use: version {version}")
        except UserError as exc:
            show_user_error(self, exc)
            return None
        self.rules_error.hide()
        self.consent_error.hide()
        return changes
