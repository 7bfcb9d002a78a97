"""The demo clinic's screenings answer every question, as the questionnaire requires."""

from __future__ import annotations

import re
from pathlib import Path

from exodesk.domain.screening import unanswered
from exodesk.domain.sessions import HUMAN_SOURCES
from exodesk.paths import DataPaths
from exodesk.services.demo import seed_demo
from exodesk.services.workspace import open_services


def test_every_demo_screening_answers_every_question(tmp_path: Path) -> None:
    demo = open_services(DataPaths(tmp_path / "demo"), create=True)
    try:
        # Enough patients for every screening profile and for the session histories too.
        seed_demo(demo, patients=40, backup_history=False)
        table = demo.screening.rules()
        ids = [r[0] for r in demo.ctx.db.execute("SELECT id FROM screenings").fetchall()]
        assert len(ids) > 30
        for screening_id in ids:
            record = demo.screening.get(screening_id)
            assert unanswered(table, record.answers) == (), screening_id
            summary = demo.screening.summary(screening_id)
            assert summary.answers_note is None
            assert "Not recorded" not in {line.answer for line in summary.answers}
        # The demo still shows the verdicts the rules give, not only "go ahead".
        verdicts = {row[0] for row in demo.ctx.db.execute("SELECT verdict FROM screening_verdicts")}
        assert {"proceed", "precautions", "review", "defer"} <= verdicts
    finally:
        demo.close()


def test_the_demo_models_good_practice(tmp_path: Path) -> None:
    """A UK demo clinic records no session with a human-derived exosome lot, and its one
    screening override rests on the source's 5–7 days, not against it (issue #17)."""
    demo = open_services(DataPaths(tmp_path / "demo"), create=True)
    try:
        seed_demo(demo, patients=40, backup_history=False)
        assert demo.clinic.settings().country == "GB"
        human = demo.ctx.db.execute(
            "SELECT count(*) FROM session_products sp JOIN lots l ON l.id = sp.lot_id "
            "JOIN products p ON p.id = l.product_id WHERE p.source IN "
            f"({', '.join('?' * len(HUMAN_SOURCES))})",
            sorted(HUMAN_SOURCES),
        ).fetchone()[0]
        assert human == 0
        # The human-derived serum is still in the catalogue, where its flag is shown.
        assert any(p.source in HUMAN_SOURCES for p in demo.catalogue.products())
        reasons = [r[0] for r in demo.ctx.db.execute("SELECT reason FROM screening_overrides")]
        assert reasons
        for reason in reasons:
            days = [int(n) for n in re.findall(r"(\d+) days? ago", reason)]
            assert all(d >= 5 for d in days), reason
    finally:
        demo.close()
