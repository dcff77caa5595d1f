"""The Bahasa Indonesia catalogue covers every message in the sources, and its compiled .mo is current.

Bahasa Indonesia is the default UI language and English is the msgid itself,
so a string without an `id` translation would show up in English on a page
that is otherwise Indonesian. These tests extract the messages the same way
`pybabel extract -F babel.cfg` does (through babel's Python API) and compare
them with platform/translations/id/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages import frontend
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
BABEL_CFG = ROOT / "babel.cfg"
# The kernel's catalogue, and one per context folder that has its own (e.g. tenants/roster/translations):
# Flask-Babel merges them all, so together they must cover every message.
CATALOGUES = sorted(path for top in ("platform", "tenants", "onboarding")
                    for path in (ROOT / top).rglob("translations/id/LC_MESSAGES/messages.po"))
PO_FILE = ROOT / "platform" / "translations" / "id" / "LC_MESSAGES" / "messages.po"

UPDATE_COMMAND = (
    "pybabel extract -F babel.cfg -o platform/translations/messages.pot . && "
    "pybabel update -i platform/translations/messages.pot -d platform/translations -l id; "
    "then translate the entries in platform/translations/id/LC_MESSAGES/messages.po "
    "(and remove their '#, fuzzy' lines), and run `pip install -e .` to compile the catalogue"
)


def read_mapping():
    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with BABEL_CFG.open() as cfg:
        return parse(cfg, filename=str(BABEL_CFG))


def extracted_messages() -> dict[tuple[str | tuple[str, ...], str | None], list[str]]:
    """(msgid, context) -> ["file:line", ...] for every message in the sources babel.cfg names."""
    method_map, options_map = read_mapping()
    top_folders = {pattern.split("/", 1)[0] for pattern, _method in method_map}

    def directory_filter(dirpath: str) -> bool:
        relative = Path(dirpath).resolve().relative_to(ROOT)
        name = relative.name
        if name.startswith((".", "_")):
            return False
        # Only walk the folders babel.cfg extracts from, not var/ (databases) or build output.
        return relative.parts[0] in top_folders

    found: dict = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS, directory_filter=directory_filter,
    ):
        if isinstance(message, (list, tuple)):
            message = tuple(part for part in message if part is not None)  # (singular, plural)
            if len(message) == 1:
                message = message[0]
        found.setdefault((message, context), []).append(f"{filename}:{lineno}")
    return found


def read_catalogue(path=PO_FILE):
    with path.open("rb") as po:
        return read_po(po, locale="id")


class MergedCatalogue:
    """Every catalogue's entries, looked up by (msgid, context) as Flask-Babel's merged translations do."""

    def __init__(self):
        self.entries = {}
        for path in CATALOGUES:
            for message in read_catalogue(path):
                if message.id:
                    key = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
                    self.entries.setdefault((key, message.context), message)

    def get(self, key, context=None):
        return self.entries.get((key, context))


def as_key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def is_translated(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return bool(strings) and all(text and text.strip() for text in strings)


def test_extraction_finds_the_templates_messages():
    """Guards the test below: a broken babel.cfg would extract nothing and prove nothing."""
    messages = extracted_messages()
    ids = {msgid for msgid, _context in messages}
    assert "Not onboarded" in ids
    assert "Skip to content" in ids  # platform/templates/layout.html
    assert ("%(num)s region", "%(num)s regions") in ids  # ngettext in a template
    assert any(where.startswith("platform/templates/") for places in messages.values() for where in places)


def test_every_message_has_an_indonesian_translation():
    catalogue = MergedCatalogue()
    missing = []
    for (msgid, context), places in sorted(extracted_messages().items(), key=lambda item: item[1][0]):
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = catalogue.get(key, context=context)
        if entry is None:
            problem = "not in the catalogue"
        elif entry.fuzzy:
            problem = "fuzzy"
        elif not is_translated(entry):
            problem = "empty translation"
        elif isinstance(msgid, tuple) and not entry.pluralizable:
            problem = "plural message stored without msgid_plural"
        else:
            continue
        missing.append(f"  {msgid!r} ({problem}; {', '.join(places)})")
    assert not missing, (
        f"{len(missing)} message(s) have no Indonesian translation in any of "
        f"{', '.join(str(p.relative_to(ROOT)) for p in CATALOGUES)}:\n"
        + "\n".join(missing) + f"\nUpdate the catalogue from the repository root: {UPDATE_COMMAND}."
    )


@pytest.mark.parametrize("po_file", CATALOGUES, ids=lambda path: str(path.relative_to(ROOT)))
def test_catalogue_has_no_fuzzy_entries_and_keeps_placeholders(po_file):
    catalogue = read_catalogue(po_file)
    assert catalogue.num_plurals == 1, "Indonesian has one plural form: Plural-Forms: nplurals=1; plural=0;"
    fuzzy = [message.id for message in catalogue if message.id and message.fuzzy]
    assert not fuzzy, f"Fuzzy entries are not used at run time; review and unmark them: {fuzzy}"
    # babel's checkers: the same %(name)s placeholders in msgid and msgstr, the right number of plural forms.
    problems = [f"{message.id!r}: {'; '.join(map(str, errors))}" for message, errors in catalogue.check()]
    assert not problems, "Translations that would break formatting:\n" + "\n".join(problems)


@pytest.mark.parametrize("po_file", CATALOGUES, ids=lambda path: str(path.relative_to(ROOT)))
def test_compiled_catalogue_is_present_and_current(po_file):
    reinstall = "Compile it by reinstalling from the repository root: `pip install -e .`"
    PO_FILE, MO_FILE = po_file, po_file.with_suffix(".mo")
    assert MO_FILE.is_file(), f"{MO_FILE.relative_to(ROOT)} is missing. {reinstall}"
    assert MO_FILE.stat().st_mtime >= PO_FILE.stat().st_mtime, (
        f"{MO_FILE.relative_to(ROOT)} is older than {PO_FILE.name}. {reinstall}")
    with MO_FILE.open("rb") as mo:
        compiled = {as_key(message.id): as_key(message.string) for message in read_mo(mo) if message.id}
    source = {as_key(message.id): as_key(message.string) for message in read_catalogue(po_file)
              if message.id and not message.fuzzy and is_translated(message)}
    assert compiled == source, f"{MO_FILE.relative_to(ROOT)} does not match {PO_FILE.name}. {reinstall}"
