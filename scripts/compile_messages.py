"""Compile the translation catalogues with pure-Python polib (no GNU gettext needed).

    python scripts/compile_messages.py           write django.mo next to every django.po
    python scripts/compile_messages.py --check   write nothing; fail if a .mo is missing or stale

Every src/bianhe/locale/<lang>/LC_MESSAGES/django.po is checked first. The script exits
non-zero, naming each offending entry, when an entry is untranslated or fuzzy, when a
translation uses a %(name)s placeholder its msgid does not have (or drops one), or when the
number of plural forms disagrees with the catalogue's Plural-Forms header.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "src" / "bianhe" / "locale"

PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[sdifFeEgGxXor]")
NPLURALS = re.compile(r"nplurals\s*=\s*(\d+)")


def catalogues(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Every django.po under ``locale_dir``, in a stable order."""
    return sorted(locale_dir.glob("*/LC_MESSAGES/django.po"))


def _label(entry: polib.POEntry) -> str:
    where = f" (line {entry.linenum})" if entry.linenum else ""
    return f"{entry.msgid!r}{where}"


def problems(po: polib.POFile) -> list[str]:
    """What stops ``po`` from being compiled, one readable line per problem."""
    found = []
    if po.metadata_is_fuzzy:
        found.append("the header is marked fuzzy")
    match = NPLURALS.search(po.metadata.get("Plural-Forms", ""))
    nplurals = int(match.group(1)) if match else None
    if nplurals is None and any(entry.msgid_plural for entry in po):
        found.append("the header has no Plural-Forms, but there are plural entries")
    for entry in po:
        if entry.obsolete:
            continue
        if entry.fuzzy:
            found.append(f"fuzzy: {_label(entry)}")
            continue
        if not entry.translated():
            found.append(f"untranslated: {_label(entry)}")
            continue
        if entry.msgid_plural:
            if nplurals is not None and len(entry.msgstr_plural) != nplurals:
                found.append(
                    f"{len(entry.msgstr_plural)} plural forms instead of {nplurals}: "
                    f"{_label(entry)}"
                )
            wanted = set(PLACEHOLDER.findall(entry.msgid)) | set(
                PLACEHOLDER.findall(entry.msgid_plural)
            )
            translations = list(entry.msgstr_plural.values())
        else:
            wanted = set(PLACEHOLDER.findall(entry.msgid))
            translations = [entry.msgstr]
        for text in translations:
            used = set(PLACEHOLDER.findall(text))
            if used - wanted:
                found.append(f"unknown placeholder {sorted(used - wanted)}: {_label(entry)}")
            if not entry.msgid_plural and wanted - used:
                found.append(f"missing placeholder {sorted(wanted - used)}: {_label(entry)}")
    return found


def messages(catalogue: polib.POFile | polib.MOFile) -> dict:
    """The translations a compiled catalogue holds: (msgctxt, msgid, msgid_plural) -> msgstr(s).

    For a .po, only what polib writes to a .mo: translated, non-fuzzy, non-obsolete entries.
    """
    if isinstance(catalogue, polib.POFile):
        entries = catalogue.translated_entries()
    else:
        entries = [entry for entry in catalogue if entry.msgid]  # the header is metadata
    result = {}
    for entry in entries:
        key = (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")
        if entry.msgid_plural:
            result[key] = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
        else:
            result[key] = entry.msgstr
    return result


def is_current(po: polib.POFile, mo_path: Path) -> bool:
    """Whether ``mo_path`` holds exactly the translations and metadata of ``po``."""
    if not mo_path.is_file():
        return False
    mo = polib.mofile(str(mo_path))
    return messages(mo) == messages(po) and mo.metadata == po.metadata


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit non-zero if a .mo is missing or differs from its .po",
    )
    parser.add_argument(
        "--locale-dir",
        type=Path,
        default=LOCALE_DIR,
        help=f"directory holding <lang>/LC_MESSAGES/django.po (default: {LOCALE_DIR})",
    )
    args = parser.parse_args(argv)

    paths = catalogues(args.locale_dir)
    if not paths:
        print(f"error: no */LC_MESSAGES/django.po under {args.locale_dir}", file=sys.stderr)
        return 1

    failed = False
    for po_path in paths:
        shown = po_path.relative_to(ROOT) if po_path.is_relative_to(ROOT) else po_path
        po = polib.pofile(str(po_path))
        found = problems(po)
        if found:
            failed = True
            print(f"error: {shown}: {len(found)} problem(s); fix them in the .po:", file=sys.stderr)
            for line in found:
                print(f"  {line}", file=sys.stderr)
            continue
        mo_path = po_path.with_suffix(".mo")
        count = len(po.translated_entries())
        if args.check:
            if is_current(po, mo_path):
                print(f"{shown}: {count} entries, .mo is up to date")
            else:
                failed = True
                print(
                    f"error: {mo_path.name} next to {shown} is missing or stale; "
                    "run python scripts/compile_messages.py",
                    file=sys.stderr,
                )
        else:
            po.save_as_mofile(str(mo_path))
            print(f"{shown}: {count} entries compiled to {mo_path.name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
