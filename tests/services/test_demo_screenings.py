"""The demo clinic's screenings answer every question, as the questionnaire requires."""

from __future__ import annotations

from pathlib import Path

from exodesk.domain.screening import unanswered
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
