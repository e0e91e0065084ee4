"""Reading installed entry points without importlib.metadata gives importlib.metadata's answer."""
from __future__ import annotations

import subprocess
import sys
import zipfile

from dezero_core.discovery import metadata
from dezero_core.discovery.metadata import EntryPointInfo, installed_entry_points, load_object


def importlib_answer() -> list[EntryPointInfo]:
    return sorted(metadata._read_with_importlib("dezero."), key=repr)


def fast_answer() -> list[EntryPointInfo]:
    found = metadata._read_dist_info_dirs("dezero.")
    assert found is not None, "the fast path should apply to a plain directory layout"
    return sorted(found, key=repr)


def test_the_fast_reader_agrees_with_importlib_metadata_on_this_environment() -> None:
    assert fast_answer() == importlib_answer()


def test_the_fast_reader_agrees_with_importlib_metadata_on_fake_distributions(install) -> None:
    install("dezero-lazy", "2.1rc1", {"dezero.functions": {"a": "m:a"}, "dezero.layers": {"B": "m:B"},
                                      "console_scripts": {"tool": "m:main"}})
    fast = fast_answer()
    assert EntryPointInfo("dezero.layers", "B", "m:B", "dezero-lazy", "2.1rc1") in fast
    assert not any(i.group == "console_scripts" for i in fast)  # only dezero.* groups
    assert fast == importlib_answer()


def test_an_earlier_sys_path_entry_shadows_a_later_copy_of_a_distribution(install, tmp_path) -> None:
    install("dezero-shadow", "2.0", {"dezero.functions": {"new": "m:new"}})
    later = tmp_path / "later"
    (later / "dezero_shadow-1.0.dist-info").mkdir(parents=True)
    (later / "dezero_shadow-1.0.dist-info" / "entry_points.txt").write_text("[dezero.functions]\nold = m:old\n")
    sys.path.append(str(later))
    try:
        names = {(i.name, i.version) for i in installed_entry_points() if i.dist == "dezero-shadow"}
        assert names == {("new", "2.0")}
        assert fast_answer() == importlib_answer()
    finally:
        sys.path.remove(str(later))


def test_the_version_comes_from_the_metadata_when_the_directory_name_has_none(tmp_path) -> None:
    info = tmp_path / "dezero_bare.egg-info"
    info.mkdir()
    (info / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: dezero-bare\nVersion: 0.7.post1\n\nbody\n")
    (info / "entry_points.txt").write_text("# comment\n[dezero.functions]\n  f = m:f  \n")
    sys.path.insert(0, str(tmp_path))
    try:
        assert EntryPointInfo("dezero.functions", "f", "m:f", "dezero-bare", "0.7.post1") in installed_entry_points()
    finally:
        sys.path.remove(str(tmp_path))


def test_a_zip_file_on_sys_path_falls_back_to_importlib_metadata(tmp_path) -> None:
    archive = tmp_path / "zipped.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("dezero_zipped-3.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: dezero-zipped\nVersion: 3.0\n")
        z.writestr("dezero_zipped-3.0.dist-info/entry_points.txt", "[dezero.functions]\nzipped = m:z\n")
    sys.path.insert(0, str(archive))
    try:
        assert metadata._read_dist_info_dirs("dezero.") is None
        assert EntryPointInfo("dezero.functions", "zipped", "m:z", "dezero-zipped", "3.0") in installed_entry_points()
    finally:
        sys.path.remove(str(archive))


def test_load_object_follows_dotted_attributes_and_ignores_extras() -> None:
    assert load_object("os.path:join") is __import__("os").path.join
    assert load_object("os:path.join [speedups]") is __import__("os").path.join
    assert load_object("json") is __import__("json")


def test_canonical_names_follow_pep_503() -> None:
    assert metadata.canonical_name("Dezero__Example.Plugin") == "dezero-example-plugin"


def test_import_dezero_core_imports_neither_pluggy_nor_importlib_metadata() -> None:
    code = ("import sys, dezero_core; "
            "print(sorted(m for m in ('pluggy', 'importlib.metadata', 'dezero_core.plugin_manager', "
            "'dezero_core.cli', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

