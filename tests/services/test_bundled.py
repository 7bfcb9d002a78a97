"""BundledContent: each bundled content file read once, parsed by the domain, handed to services."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from exodesk.domain.courses import ProtocolDetails
from exodesk.errors import UserError
from exodesk.paths import RESOURCES
from exodesk.services.bundled import (
    CONSENT_FILE,
    CONTENT_FILES,
    REGULATORY_FILE,
    RULES_FILE,
    SHEETS_FILE,
    TABLES,
    BundledContent,
    shared_content,
)
from exodesk.services.context import Desk, ServiceContext
from exodesk.services.workspace import Services


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the bundled resources, to count, break or change."""
    folder = tmp_path / "resources"
    shutil.copytree(RESOURCES, folder)
    return folder


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every Path.read_text / read_bytes, by file name (the loader reads with these)."""
    seen: list[str] = []
    read_text, read_bytes = Path.read_text, Path.read_bytes

    def text(self: Path, *args: object, **kwargs: object) -> str:
        seen.append(self.name)
        return read_text(self, *args, **kwargs)  # type: ignore[arg-type]

    def data(self: Path) -> bytes:
        seen.append(self.name)
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_text", text)
    monkeypatch.setattr(Path, "read_bytes", data)
    yield seen


def test_each_content_file_is_read_once_however_often_it_is_asked_for(
    copy: Path, reads: list[str]
) -> None:
    content = BundledContent(copy)
    first = [getattr(content, table) for table in TABLES]
    for _ in range(3):
        again = [getattr(content, table) for table in TABLES]
        assert all(a is b for a, b in zip(first, again, strict=True))
    assert sorted(reads) == sorted(Path(name).name for name in CONTENT_FILES)


def test_nothing_is_read_until_a_table_is_asked_for(copy: Path, reads: list[str]) -> None:
    content = BundledContent(copy)
    assert reads == []
    content.rules  # noqa: B018
    assert reads == ["rules.json"]


def test_a_failure_is_not_kept(copy: Path) -> None:
    good = (copy / RULES_FILE).read_text(encoding="utf-8")
    (copy / RULES_FILE).write_text("{not json", encoding="utf-8")
    content = BundledContent(copy)
    with pytest.raises(ValueError, match=r"rules\.json is not valid JSON"):
        content.rules  # noqa: B018
    (copy / RULES_FILE).write_text(good, encoding="utf-8")
    assert content.rules.version == json.loads(good)["version"]


def test_an_invalid_table_names_what_is_wrong(copy: Path) -> None:
    data = json.loads((copy / SHEETS_FILE).read_text(encoding="utf-8"))
    data["templates"].pop()
    (copy / SHEETS_FILE).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="has no template for"):
        BundledContent(copy).aftercare  # noqa: B018


def test_a_missing_file_is_an_os_error(copy: Path) -> None:
    (copy / REGULATORY_FILE).unlink()
    with pytest.raises(FileNotFoundError):
        BundledContent(copy).regulatory_facts  # noqa: B018


def test_the_tables_are_read_only(copy: Path) -> None:
    content = BundledContent(copy)
    with pytest.raises(TypeError):
        content.aftercare["prp"] = content.aftercare["exosome_face"]  # type: ignore[index]
    with pytest.raises(TypeError):
        content.aftercare_sources["prp"]["normal"] = ()  # type: ignore[index]


def test_the_versions_and_citations_come_from_the_files(copy: Path) -> None:
    content = BundledContent(copy)
    regulatory = json.loads((copy / REGULATORY_FILE).read_text(encoding="utf-8"))
    assert content.regulatory_version == regulatory["version"]
    sheets = json.loads((copy / SHEETS_FILE).read_text(encoding="utf-8"))
    first = sheets["templates"][0]
    cited = content.aftercare_sources[first["treatment"]]
    assert cited["timeline"] == tuple(first["timeline"]["sources"])
    assert cited[first["sections"][0]["id"]] == tuple(first["sections"][0]["sources"])
    assert content.consent_text == (copy / CONSENT_FILE).read_text(encoding="utf-8")


def test_check_reads_every_file_and_refuses_an_empty_one(copy: Path) -> None:
    files = [p for p in copy.rglob("*") if p.is_file()]
    assert BundledContent(copy).check() == len(files)
    (copy / "help" / "guide.html").write_bytes(b"")
    with pytest.raises(RuntimeError, match="empty resource"):
        BundledContent(copy).check()


def test_check_refuses_a_broken_content_table(copy: Path) -> None:
    data = json.loads((copy / RULES_FILE).read_text(encoding="utf-8"))
    data["rules"][0]["when"]["kind"] = "moon_phase"
    (copy / RULES_FILE).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="moon_phase"):
        BundledContent(copy).check()


def test_every_service_shares_the_process_loader(services: Services) -> None:
    assert services.ctx.bundled is shared_content()
    other = ServiceContext(db=services.ctx.db, desk=Desk())
    assert other.bundled is shared_content()
    assert services.screening.bundled_rules() is shared_content().rules


def test_services_judge_by_the_content_they_are_handed(services: Services, copy: Path) -> None:
    data = json.loads((copy / RULES_FILE).read_text(encoding="utf-8"))
    data["version"] = "handed.1"
    (copy / RULES_FILE).write_text(json.dumps(data), encoding="utf-8")
    (copy / CONSENT_FILE).write_text("Handed consent.", encoding="utf-8")
    services.ctx.bundled = BundledContent(copy)
    assert services.screening.rules().version == "handed.1"
    assert services.screening.consent_text() == (1, "Handed consent.")


# ---- what the UI asks for instead of reading files ---------------------------------------


def test_the_reference_methods_give_the_bundled_tables(services: Services) -> None:
    bundled = shared_content()
    assert services.screening.default_consent_text() == bundled.consent_text
    assert services.aftercare.default_wording("prp") is bundled.aftercare["prp"]
    assert services.comparison.standard_content() is bundled.comparison
    details = services.catalogue.protocol_details("scalp_hair")
    assert isinstance(details, ProtocolDetails) and details.key == "scalp_hair"
    assert services.catalogue.protocol_details("clinic_own") is None
    texts = services.sessions.regulatory_texts()
    assert texts == {fact.id: fact.text for fact in bundled.regulatory_facts}
    with pytest.raises(UserError, match="has no aftercare sheet"):
        services.aftercare.default_wording("tattoo")


def test_the_default_wording_stays_the_bundled_one_after_a_clinic_edit(
    services: Services,
) -> None:
    from dataclasses import replace

    bundled = services.aftercare.default_wording("prp")
    result = services.aftercare.save_wording(replace(bundled, title="Our PRP sheet"))
    assert result.ok
    assert services.aftercare.wording("prp").template.title == "Our PRP sheet"
    assert services.aftercare.default_wording("prp").title == bundled.title
