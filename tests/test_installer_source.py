"""The Windows installer's source (.ci/windows/exodesk.wxs) and its file-list generator, read
without wixl (.ci/build-msi builds the MSI with wixl and checks its tables in CI)."""

from __future__ import annotations

import importlib.util
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
WINDOWS = ROOT / ".ci" / "windows"
WXS = WINDOWS / "exodesk.wxs"
NS = {"w": "http://schemas.microsoft.com/wix/2006/wi"}
# Fixed forever: Windows recognises an older ExoDesk to upgrade by this code. A new one would
# install a second ExoDesk beside the first instead of replacing it.
UPGRADE_CODE = "3D6B1F0E-5C2A-4E8B-9A7D-0E4C2B8F61A5"


@pytest.fixture(scope="module")
def product() -> ET.Element:
    # Preprocessor lines (<?if ...?>) are XML processing instructions: ElementTree skips them.
    found = ET.parse(WXS).getroot().find("w:Product", NS)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def bundle_files() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bundle_files", WINDOWS / "bundle_files.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _one(parent: ET.Element, path: str) -> ET.Element:
    found = parent.findall(path, NS)
    assert len(found) == 1, f"one {path}, found {len(found)}"
    return found[0]


def _directory(product: ET.Element, directory_id: str) -> tuple[ET.Element, ET.Element]:
    """The <Directory> with this Id and its parent."""
    for parent in product.iter():
        for child in parent:
            if child.tag == f"{{{NS['w']}}}Directory" and child.get("Id") == directory_id:
                return child, parent
    raise AssertionError(f"no Directory {directory_id}")


def test_per_machine_product_that_upgrades_in_place(product: ET.Element) -> None:
    assert product.get("Id") == "*", "a new ProductCode for every build (major upgrades)"
    assert product.get("UpgradeCode") == UPGRADE_CODE
    assert product.get("Version") == "$(var.Version)"
    assert product.get("Name") == "ExoDesk" and product.get("Manufacturer") == "ExoDesk"
    package = _one(product, "w:Package")
    assert package.get("InstallScope") == "perMachine"
    assert package.get("Compressed") == "yes"
    major = _one(product, "w:MajorUpgrade")
    assert "newer version" in (major.get("DowngradeErrorMessage") or "")
    assert _one(product, "w:MediaTemplate").get("EmbedCab") == "yes", "one file to hand out"
    # wixl schedules RemoveExistingProducts where Windows refuses it: this one replaces it.
    text = WXS.read_text(encoding="utf-8")
    assert re.search(
        r'<\?if \$\(var\.Wixl\) = 1\?>\s*(<!--.*?-->\s*)?<RemoveExistingProducts Sequence="1401" />'
        r"\s*<\?endif\?>",
        text,
        re.S,
    )


def test_programs_in_program_files_with_a_start_menu_shortcut(product: ET.Element) -> None:
    install, parent = _directory(product, "INSTALLDIR")
    assert install.get("Name") == "ExoDesk" and parent.get("Id") == "ProgramFiles64Folder"
    files = {f.get("Id"): f for f in install.iterfind("w:Component/w:File", NS)}
    assert files["ExoDeskExeFile"].get("Name") == "exodesk.exe"
    assert files["ExoDeskExeFile"].get("Source") == "$(var.BundleDir)/$(var.GuiProgram)"
    assert files["ExoDeskAdminExeFile"].get("Name") == "exodesk-admin.exe"
    assert files["ExoDeskAdminExeFile"].get("Source") == "$(var.BundleDir)/$(var.AdminProgram)"
    shortcut = _one(install, "w:Component/w:Shortcut")
    assert shortcut.get("Directory") == "ProgramMenuFolder"
    assert shortcut.get("Name") == "ExoDesk"
    assert shortcut.get("Target") == "[#ExoDeskExeFile]", "not advertised: no repair prompts"
    assert shortcut.get("Icon") == "ExoDeskIcon"
    _directory(product, "ProgramMenuFolder")


def test_uninstall_entry(product: ET.Element) -> None:
    properties = {p.get("Id"): p.get("Value") for p in product.iterfind("w:Property", NS)}
    assert properties["ARPPRODUCTICON"] == "ExoDeskIcon"
    assert properties["ARPNOMODIFY"] == "1"
    assert "ProgramData" in (properties["ARPCOMMENTS"] or "")
    icon = _one(product, "w:Icon")
    assert icon.get("Id") == "ExoDeskIcon"
    assert icon.get("SourceFile") == "$(var.BundleDir)/_internal/resources/exodesk.ico"
    assert (ROOT / "resources" / "exodesk.ico").is_file()


def test_program_data_folder_is_created_and_opened_to_users(product: ET.Element) -> None:
    data, parent = _directory(product, "DATADIR")
    assert data.get("Name") == "ExoDesk" and parent.get("Id") == "CommonAppDataFolder"
    component = _one(data, "w:Component")
    assert component.get("Id") == "DataFolder"
    _one(component, "w:CreateFolder")
    assert not component.findall("w:File", NS), "the installer owns no file in the data folder"
    actions = {a.get("Id"): a for a in product.iterfind("w:CustomAction", NS)}
    assert actions["SetIcaclsPath"].get("Value") == "[SystemFolder]icacls.exe"
    grant = actions["GrantUsersDataFolder"]
    assert grant.get("Property") == "ICACLS"
    assert grant.get("ExeCommand") == (
        '"[CommonAppDataFolder]ExoDesk" /grant *S-1-5-32-545:(OI)(CI)M'
    )
    assert (grant.get("Execute"), grant.get("Impersonate"), grant.get("Return")) == (
        "deferred",
        "no",
        "check",
    )
    sequence = product.iterfind("w:InstallExecuteSequence/w:Custom", NS)
    customs = {c.get("Action"): c for c in sequence}
    assert customs["GrantUsersDataFolder"].get("After") == "CreateFolders"
    assert int(customs["SetIcaclsPath"].get("Sequence") or 0) < 1500, "before InstallInitialize"
    assert {c.text for c in customs.values()} == {"NOT REMOVE"}, "not on uninstall"


def test_every_component_is_in_the_feature(product: ET.Element) -> None:
    components = {c.get("Id") for c in product.iter(f"{{{NS['w']}}}Component")}
    assert components == {"ExoDeskExe", "ExoDeskAdminExe", "DataFolder"}
    feature = _one(product, "w:Feature")
    assert {r.get("Id") for r in feature.iterfind("w:ComponentRef", NS)} == components
    assert [r.get("Id") for r in feature.iterfind("w:ComponentGroupRef", NS)] == ["BundleFiles"]
    guids = [c.get("Guid") for c in product.iter(f"{{{NS['w']}}}Component")]
    assert len(set(guids)) == len(guids) and UPGRADE_CODE not in guids
    for guid in guids:
        assert re.fullmatch(r"[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}", guid or "")


def _fake_bundle(root: Path) -> Path:
    bundle = root / "exodesk"
    for name in (
        "exodesk.exe",
        "exodesk-admin.exe",
        "_internal/python312.dll",
        "_internal/PySide6/Qt6Core.dll",
        "_internal/PySide6/plugins/platforms/qwindows.dll",
        "_internal/resources/exodesk.ico",
        "_internal/resources/help/Łucja & <co>.md",
    ):
        path = bundle / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    return bundle


def test_bundle_files_lists_every_file_but_the_programs(
    bundle_files: ModuleType, tmp_path: Path
) -> None:
    bundle = _fake_bundle(tmp_path)
    text = bundle_files.fragment(bundle)
    root = ET.fromstring(text)
    ref = _one(root, "w:Fragment/w:DirectoryRef")
    assert ref.get("Id") == "INSTALLDIR"
    files = list(ref.iter(f"{{{NS['w']}}}File"))
    sources = sorted(f.get("Source") or "" for f in files)
    assert sources == sorted(
        f"$(var.BundleDir)/{p.relative_to(bundle).as_posix()}"
        for p in bundle.rglob("*")
        if p.is_file() and p.parent != bundle
    )
    assert "Łucja & <co>.md" in {f.get("Name") for f in files}
    # The directories nest as on disk.
    qt = next(f for f in files if f.get("Name") == "qwindows.dll")
    path = []
    for directory in ref.iter(f"{{{NS['w']}}}Directory"):
        if qt in list(directory.iter(f"{{{NS['w']}}}File")):
            path.append(directory.get("Name"))
    assert path == ["_internal", "PySide6", "plugins", "platforms"]
    components = list(ref.iter(f"{{{NS['w']}}}Component"))
    group = _one(root, "w:Fragment/w:ComponentGroup")
    assert group.get("Id") == "BundleFiles"
    refs = [r.get("Id") for r in group.iterfind("w:ComponentRef", NS)]
    assert refs == [c.get("Id") for c in components] and len(set(refs)) == len(refs) == 5
    ids = [e.get("Id") or "" for e in root.iter() if e.get("Id")]
    for identifier in ids:  # MSI identifiers
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]{0,71}", identifier), identifier
    for component in components:
        assert component.get("Win64") == "yes"
        (file,) = component
        assert file.get("KeyPath") == "yes"


def test_bundle_files_ids_and_guids_are_stable(bundle_files: ModuleType, tmp_path: Path) -> None:
    """The same file gets the same component GUID in every build, so upgrades replace it."""
    first = bundle_files.fragment(_fake_bundle(tmp_path / "a"))
    second = bundle_files.fragment(_fake_bundle(tmp_path / "b"))
    assert first == second
    guids = re.findall(r'Guid="([^"]+)"', first)
    assert len(guids) == len(set(guids)) == 5


def test_bundle_files_command_line(bundle_files: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "out" / "bundle-files.wxs"
    assert bundle_files.main([str(_fake_bundle(tmp_path)), str(out)]) == 0
    assert ET.parse(out).getroot().tag == f"{{{NS['w']}}}Wix"
    assert bundle_files.main([str(tmp_path / "missing"), str(out)]) == 2


def test_every_build_command_defines_the_sources_variables() -> None:
    """.ci/build-msi (wixl) and the checklist's candle line define every $(var.X) it uses."""
    used = set(re.findall(r"\$\(var\.(\w+)\)", WXS.read_text(encoding="utf-8")))
    assert used == {"Version", "BundleDir", "GuiProgram", "AdminProgram", "Wixl"}
    build = (ROOT / ".ci" / "build-msi").read_text(encoding="utf-8")
    assert set(re.findall(r"-D \"?(\w+)=", build)) == used
    assert "--arch x64" in build
    checklist = (WINDOWS / "README.md").read_text(encoding="utf-8")
    candle = next(line for line in checklist.splitlines() if line.startswith("candle "))
    assert set(re.findall(r"-d(\w+)=", candle)) == used
    assert "-arch x64" in candle
