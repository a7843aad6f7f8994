"""The Simplified-Chinese catalogue, its compiled .mo and scripts/compile_messages.py.

None of these tests uses the database.
"""

import gettext as stdlib_gettext
import importlib.util
import re
from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "src" / "bianhe" / "locale"
ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
ZH_MO = ZH_PO.with_suffix(".mo")


def _load_compiler():
    spec = importlib.util.spec_from_file_location(
        "compile_messages", ROOT / "scripts" / "compile_messages.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compiler = _load_compiler()


@pytest.fixture(scope="module")
def zh_po():
    return polib.pofile(str(ZH_PO))


def _live(po):
    return [entry for entry in po if not entry.obsolete]


def _translations(entry):
    if entry.msgid_plural:
        return list(entry.msgstr_plural.values())
    return [entry.msgstr]


def test_every_chinese_entry_is_translated(zh_po):
    untranslated = [entry.msgid for entry in _live(zh_po) if not entry.translated()]
    assert untranslated == []
    assert zh_po.percent_translated() == 100


def test_no_chinese_entry_is_fuzzy(zh_po):
    assert not zh_po.metadata_is_fuzzy
    assert [entry.msgid for entry in _live(zh_po) if entry.fuzzy] == []


def test_the_chinese_header_declares_the_language_charset_and_one_plural_form(zh_po):
    assert zh_po.metadata["Project-Id-Version"] == "bianhe"
    assert zh_po.metadata["Language"] == "zh_Hans"
    assert zh_po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert zh_po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"


def test_every_chinese_plural_entry_has_exactly_one_form(zh_po):
    plurals = [entry for entry in _live(zh_po) if entry.msgid_plural]
    assert plurals, "the catalogue is expected to hold plural messages"
    assert [entry.msgid for entry in plurals if list(entry.msgstr_plural) != [0]] == []


def test_every_chinese_translation_keeps_the_placeholders_of_its_msgid(zh_po):
    assert compiler.problems(zh_po) == []
    for entry in _live(zh_po):
        wanted = set(compiler.PLACEHOLDER.findall(entry.msgid + (entry.msgid_plural or "")))
        for text in _translations(entry):
            assert set(compiler.PLACEHOLDER.findall(text)) == wanted, entry.msgid


def test_chinese_sentences_use_full_width_punctuation(zh_po):
    # Placeholders and the literal HTTP header are code, not Chinese prose.
    code = re.compile(r"%\(\w+\)[sd]|Authorization: Bearer <token>")
    offenders = [
        text
        for entry in _live(zh_po)
        for text in _translations(entry)
        if re.search(r"[\u4e00-\u9fff]", text) and re.search(r"[,;:()]", code.sub("", text))
    ]
    assert offenders == []


def test_the_committed_mo_holds_exactly_what_polib_compiles_from_the_po(zh_po, tmp_path):
    assert ZH_MO.is_file(), "run python scripts/compile_messages.py"
    committed = polib.mofile(str(ZH_MO))
    assert compiler.messages(committed) == compiler.messages(zh_po)
    assert committed.metadata == zh_po.metadata
    fresh = tmp_path / "django.mo"
    zh_po.save_as_mofile(str(fresh))
    assert compiler.messages(polib.mofile(str(fresh))) == compiler.messages(committed)


def test_the_compiled_chinese_mo_is_readable_by_the_standard_gettext_module():
    with ZH_MO.open("rb") as handle:
        catalogue = stdlib_gettext.GNUTranslations(handle)
    assert catalogue.gettext("Zone registry") == "园区名录"
    assert catalogue.ngettext("%(n)s entry", "%(n)s entries", 7) == "共%(n)s条记录"


def test_zone_registry_is_chinese_under_zh_hans_and_english_under_en():
    with translation.override("zh-hans"):
        assert translation.gettext("Zone registry") == "园区名录"
    with translation.override("en"):
        assert translation.gettext("Zone registry") == "Zone registry"


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("Province reviewer", "省级审核员"),
        ("Ministry administrator", "部级管理员"),
        ("Border economic cooperation zone", "边境经济合作区"),
        ("Cross-border economic cooperation zone", "跨境经济合作区"),
        ("Facing South and Southeast Asia", "面向南亚东南亚"),
        ("Bianhe", "边合"),
    ],
)
def test_key_terms_have_their_agreed_chinese_names(english, chinese):
    with translation.override("zh-hans"):
        assert translation.gettext(english) == chinese


def test_role_and_level_labels_are_translated_through_their_lazy_choices():
    from bianhe.roles import Level, Role

    with translation.override("zh-hans"):
        assert str(Role.ZONE_REPORTER.label) == "园区填报员"
        assert str(Level.MINISTRY.label) == "商务部"
    with translation.override("en"):
        assert str(Role.ZONE_REPORTER.label) == "Zone reporter"


def test_chinese_plurals_use_one_form_for_every_count():
    with translation.override("zh-hans"):
        one = translation.ngettext("%(n)s entry", "%(n)s entries", 1) % {"n": 1}
        many = translation.ngettext("%(n)s entry", "%(n)s entries", 5) % {"n": 5}
    assert (one, many) == ("共1条记录", "共5条记录")


def _write_po(directory, entries):
    po = polib.POFile()
    po.metadata = {
        "Project-Id-Version": "bianhe",
        "Language": "zh_Hans",
        "Content-Type": "text/plain; charset=UTF-8",
        "Plural-Forms": "nplurals=1; plural=0;",
    }
    for entry in entries:
        po.append(entry)
    path = directory / "zh_Hans" / "LC_MESSAGES" / "django.po"
    path.parent.mkdir(parents=True)
    po.save(str(path))
    return path


def test_the_compiler_refuses_untranslated_and_fuzzy_entries(tmp_path, capsys):
    po_path = _write_po(
        tmp_path,
        [
            polib.POEntry(msgid="Save", msgstr="保存"),
            polib.POEntry(msgid="Cancel", msgstr=""),
            polib.POEntry(msgid="Edit", msgstr="编辑", flags=["fuzzy"]),
        ],
    )
    assert compiler.main(["--locale-dir", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert "untranslated: 'Cancel'" in error
    assert "fuzzy: 'Edit'" in error
    assert not po_path.with_suffix(".mo").exists()


def test_the_compiler_refuses_a_translation_with_a_foreign_placeholder(tmp_path, capsys):
    _write_po(
        tmp_path,
        [
            polib.POEntry(
                msgid="Welcome, %(name)s", msgstr="欢迎您,%(user)s", flags=["python-format"]
            )
        ],
    )
    assert compiler.main(["--locale-dir", str(tmp_path)]) == 1
    assert "unknown placeholder ['user']" in capsys.readouterr().err


def test_the_compiler_writes_a_mo_and_then_reports_it_up_to_date(tmp_path):
    po_path = _write_po(tmp_path, [polib.POEntry(msgid="Save", msgstr="保存")])
    assert compiler.main(["--check", "--locale-dir", str(tmp_path)]) == 1
    assert compiler.main(["--locale-dir", str(tmp_path)]) == 0
    assert polib.mofile(str(po_path.with_suffix(".mo"))).find("Save").msgstr == "保存"
    assert compiler.main(["--check", "--locale-dir", str(tmp_path)]) == 0
