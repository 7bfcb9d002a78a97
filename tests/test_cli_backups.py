"""backup, restore, drill and export as the clinic's IT person runs them: as processes."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.test_cli import run


@pytest.fixture(scope="module")
def demo_clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "clinic"
    folder.mkdir()
    result = run("init", "--demo", "--data-dir", str(folder))
    assert result.returncode == 0, result.stderr
    # The demo comes with a backup history; these tests start from none.
    assert len(list((folder / "backups").glob("exodesk-*.sqlite3"))) == 6
    shutil.rmtree(folder / "backups")
    return folder


@pytest.fixture
def clinic(demo_clinic: Path, tmp_path: Path) -> Path:
    """A private copy of the demo clinic (closed files: copying them is safe here)."""
    folder = tmp_path / "clinic"
    shutil.copytree(demo_clinic, folder)
    return folder


def patient_names(folder: Path) -> list[str]:
    conn = sqlite3.connect(folder / "exodesk.sqlite3")
    try:
        return [r[0] for r in conn.execute("SELECT family_name FROM patients ORDER BY id")]
    finally:
        conn.close()


def test_backup_drill_restore_round_trip(clinic: Path) -> None:
    backup = run("backup", "--data-dir", str(clinic))
    assert backup.returncode == 0, backup.stderr
    assert backup.stdout.startswith("Backup saved and verified: ")
    assert "80 patients" in backup.stdout
    [made] = sorted((clinic / "backups").glob("exodesk-*-manual.sqlite3"))
    assert json.loads(made.with_suffix(".json").read_text())["verified"] is True

    drill = run("drill", "--data-dir", str(clinic))
    assert drill.returncode == 0, drill.stderr
    assert "restores cleanly: 80 patients" in drill.stdout

    # A change after the backup, then the restore takes it back.
    conn = sqlite3.connect(clinic / "exodesk.sqlite3")
    conn.execute("UPDATE patients SET family_name = 'Changed' WHERE id = 1")
    conn.commit()
    conn.close()
    restore = run("restore", str(made), "--data-dir", str(clinic))
    assert restore.returncode == 0, restore.stderr
    assert "The data as it was before is saved as" in restore.stdout
    assert "Changed" not in patient_names(clinic)
    [aside] = (clinic / "backups").glob("before-restore-*.sqlite3")
    assert str(aside) in restore.stdout
    undo = run("restore", str(aside), "--data-dir", str(clinic))
    assert undo.returncode == 0, undo.stderr
    assert patient_names(clinic)[0] == "Changed"


def test_backup_to_another_folder_and_a_missing_one(clinic: Path, tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    ok = run("backup", "--to", str(stick), "--data-dir", str(clinic))
    assert ok.returncode == 0, ok.stderr
    assert len(list(stick.glob("exodesk-*.sqlite3"))) == 1
    missing = run("backup", "--to", str(tmp_path / "pulled"), "--data-dir", str(clinic))
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr and "Traceback" not in missing.stderr
    assert not (tmp_path / "pulled").exists()


def test_drill_exits_one_on_a_tampered_backup(clinic: Path) -> None:
    assert run("backup", "--data-dir", str(clinic)).returncode == 0
    [made] = (clinic / "backups").glob("exodesk-*.sqlite3")
    conn = sqlite3.connect(made)
    conn.execute("DELETE FROM patients WHERE id = 1")
    conn.commit()
    conn.close()
    drill = run("drill", "--data-dir", str(clinic))
    assert drill.returncode == 1, drill.stdout + drill.stderr
    assert "does NOT restore cleanly" in drill.stdout
    assert "patients has 79 rows where 80 were recorded" in drill.stdout


def test_drill_and_restore_errors_are_plain(clinic: Path, tmp_path: Path) -> None:
    drill = run("drill", "--data-dir", str(clinic))
    assert drill.returncode == 2
    assert "There is no backup to test" in drill.stderr and "Traceback" not in drill.stderr
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database")
    restore = run("restore", str(junk), "--data-dir", str(clinic))
    assert restore.returncode == 2
    assert "not an ExoDesk backup" in restore.stderr and "Traceback" not in restore.stderr
    assert len(patient_names(clinic)) == 80


def test_export_writes_the_tables_and_a_readme(clinic: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    out.mkdir()
    result = run("export", "--to", str(out), "--data-dir", str(clinic))
    assert result.returncode == 0, result.stderr
    [folder] = out.iterdir()
    assert f"to {folder}." in result.stdout
    assert (folder / "patients.csv").exists() and (folder / "patients.json").exists()
    assert len(json.loads((folder / "patients.json").read_text(encoding="utf-8"))) == 80
    assert "patients (80 rows)" in (folder / "README.txt").read_text(encoding="utf-8-sig")
    missing = run("export", "--to", str(tmp_path / "nowhere"), "--data-dir", str(clinic))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    needs_to = run("export", "--data-dir", str(clinic))
    assert needs_to.returncode == 2 and "--to" in needs_to.stderr
