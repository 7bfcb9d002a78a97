"""The admin commands and the smoke test, run as a clinic's IT person would: as processes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reports.pdftools import page_texts


def run(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "exodesk", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_smoke_test_exits_zero_quietly() -> None:
    result = run("--smoke-test")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "smoke test passed" in result.stdout


def test_init_info_check_on_a_fresh_folder(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    folder.mkdir()
    init = run("init", "--demo", "--data-dir", str(folder))
    assert init.returncode == 0, init.stderr
    assert "Created" in init.stdout and "demo clinic" in init.stdout
    info = run("info", "--data-dir", str(folder))
    assert info.returncode == 0, info.stderr
    assert str(folder / "exodesk.sqlite3") in info.stdout
    assert "Schema version: " in info.stdout
    assert "patients:       80" in info.stdout
    check = run("check", "--data-dir", str(folder))
    assert check.returncode == 0, check.stderr
    assert "no faults found" in check.stdout
    assert (folder / "exodesk-admin.log").exists()  # the commands log apart from the GUI


def test_data_dir_from_the_environment(tmp_path: Path) -> None:
    result = run("init", env_extra={"EXODESK_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "exodesk.sqlite3").exists()


def test_check_exits_one_and_names_a_fault(tmp_path: Path) -> None:
    assert run("init", "--data-dir", str(tmp_path)).returncode == 0
    conn = sqlite3.connect(tmp_path / "exodesk.sqlite3")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(
        "INSERT INTO audit_log (at, actor_id, actor_name, action, table_name) "
        "VALUES ('2026-01-01', 42, 'ghost', 'x', 'x')"
    )
    conn.commit()
    conn.close()
    check = run("check", "--data-dir", str(tmp_path))
    assert check.returncode == 1
    # The hand-inserted row breaks both the foreign keys and the audit chain (it is unsealed).
    assert "2 faults found" in check.stdout
    assert "audit_log row 1 points to a missing staff record" in check.stdout
    assert "entry 1" in check.stdout


def test_check_names_the_first_edited_audit_entry(tmp_path: Path) -> None:
    assert run("init", "--demo", "--data-dir", str(tmp_path)).returncode == 0
    healthy = run("check", "--data-dir", str(tmp_path))
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert "The audit trail is intact" in healthy.stdout
    conn = sqlite3.connect(tmp_path / "exodesk.sqlite3")
    # Someone with a SQLite tool removes the guard and rewrites history.
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET summary = 'nothing happened' WHERE id = 7")
    conn.commit()
    conn.close()
    check = run("check", "--data-dir", str(tmp_path))
    assert check.returncode == 1
    assert "1 fault found" in check.stdout
    assert "entry 7" in check.stdout


@pytest.mark.parametrize("command", ["info", "check"])
def test_a_non_exodesk_file_gets_one_plain_sentence(tmp_path: Path, command: str) -> None:
    (tmp_path / "exodesk.sqlite3").write_text("not a database")
    result = run(command, "--data-dir", str(tmp_path))
    # `check` found a fault (exit 1, listed on stdout, as the README says); `info` could not
    # do its job (exit 2, one sentence on stderr).
    said = result.stdout if command == "check" else result.stderr
    assert result.returncode == (1 if command == "check" else 2)
    assert "not an ExoDesk data file" in said
    assert "Traceback" not in result.stderr
    assert (tmp_path / "exodesk.sqlite3").read_text() == "not a database"


def test_a_missing_folder_gets_one_plain_sentence(tmp_path: Path) -> None:
    result = run("check", "--data-dir", str(tmp_path / "gone"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_admin_commands_on_an_encrypted_clinic_take_the_recovery_key(tmp_path: Path) -> None:
    from exodesk.domain.staff import StaffMember
    from exodesk.paths import DataPaths
    from exodesk.services import encryption
    from exodesk.services.workspace import open_services

    paths = DataPaths(tmp_path)
    key, recovery = encryption.new_clinic_key()
    services = open_services(paths, create=True, key=key)
    assert services.accounts.first_account(
        StaffMember("Ada Lovelace-Byron", "practitioner"), "x" * 12
    ).ok
    services.close()

    refused = run("check", "--data-dir", str(tmp_path))
    assert refused.returncode == 2
    assert "needs the recovery key" in refused.stderr and "Traceback" not in refused.stderr
    wrong = run(
        "check",
        "--data-dir",
        str(tmp_path),
        env_extra={"EXODESK_RECOVERY_KEY": encryption.new_clinic_key()[1]},
    )
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    env = {"EXODESK_RECOVERY_KEY": recovery.lower().replace("-", " ")}
    check = run("check", "--data-dir", str(tmp_path), env_extra=env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "The audit trail is intact: 1 entry checked" in check.stdout
    backup = run("backup", "--data-dir", str(tmp_path), env_extra=env)
    assert backup.returncode == 0, backup.stderr
    drill = run("drill", "--data-dir", str(tmp_path), env_extra=env)
    assert drill.returncode == 0 and "restores cleanly" in drill.stdout
    assert encryption.is_encrypted(paths)
    [made] = (tmp_path / "backups").glob("exodesk-*-manual.sqlite3")
    # A name long enough that random ciphertext never holds it (b"Ada" turned up by chance once
    # in ~100 KB of ciphertext: a 3-byte string does about once in 170 runs).
    assert b"Lovelace-Byron" not in made.read_bytes(), "the backup is encrypted too"
    assert b"SQLite format 3" not in made.read_bytes()[:16]


def test_content_report_writes_the_pdf_and_says_whether_it_is_reviewed(tmp_path: Path) -> None:
    assert run("init", "--data-dir", str(tmp_path / "clinic")).returncode == 0
    target = tmp_path / "review.pdf"
    result = run("content-report", "--data-dir", str(tmp_path / "clinic"), "--to", str(target))
    assert result.returncode == 0, result.stderr
    assert f"Wrote {target}: " in result.stdout
    assert "Not reviewed: the wording in use (version rules " in result.stdout
    first = page_texts(target.read_bytes())[0]
    assert "Clinical content for review" in first and "has no review yet" in first


def test_content_report_defaults_to_a_versioned_file_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("init", "--data-dir", str(tmp_path / "clinic")).returncode == 0
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[1]))
    result = run("content-report", "--data-dir", str(tmp_path / "clinic"))
    assert result.returncode == 0, result.stderr
    (written,) = here.glob("clinical-content-*.pdf")
    assert written.read_bytes().startswith(b"%PDF")
