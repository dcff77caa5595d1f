"""The national incident categories every tenant starts with.

From what 112 centres in Indonesia log today: fires, floods (and rob, the tidal
floods of the north coast), traffic accidents, ambulance and hearse requests,
fallen trees, animals and wasp nests, crime and public order, social cases,
power cuts, disasters, blood requests, and the many information, prank and
ghost (silent) calls. Codes are stable: national reporting compares regions by
them. Adding one here needs a migration that seeds it for existing tenants
(service.seed_national_categories is idempotent, so the migration can call the
same list).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NationalCategory:
    code: str
    name_id: str
    name_en: str
    emergency: bool


NATIONAL_CATEGORIES = (
    NationalCategory("fire", "Kebakaran", "Fire", True),
    NationalCategory("flood", "Banjir", "Flood", True),
    NationalCategory("tidal_flood", "Banjir rob", "Tidal flood (rob)", True),
    NationalCategory("traffic_accident", "Kecelakaan lalu lintas", "Traffic accident", True),
    NationalCategory("medical", "Kegawatdaruratan medis / ambulans", "Medical emergency / ambulance", True),
    NationalCategory("hearse", "Mobil jenazah", "Hearse", False),
    NationalCategory("fallen_tree", "Pohon tumbang", "Fallen tree", True),
    NationalCategory("animal", "Evakuasi hewan / sarang tawon", "Animal rescue / wasp nest", True),
    NationalCategory("search_rescue", "Pencarian dan pertolongan", "Search and rescue", True),
    NationalCategory("crime", "Kriminalitas dan gangguan ketertiban", "Crime and public order", True),
    NationalCategory("social", "Masalah sosial / gelandangan / ODGJ", "Social problem / vagrancy / mental illness",
                     False),
    NationalCategory("power_outage", "Gangguan listrik", "Power outage", False),
    NationalCategory("natural_disaster", "Bencana alam", "Natural disaster", True),
    NationalCategory("blood_request", "Permintaan darah", "Blood request", False),
    NationalCategory("information", "Permintaan informasi", "Information request", False),
    NationalCategory("prank", "Panggilan iseng", "Prank call", False),
    NationalCategory("ghost", "Panggilan kosong (ghost call)", "Ghost (silent) call", False),
    NationalCategory("other", "Lainnya", "Other", False),
)
