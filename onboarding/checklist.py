"""The readiness checklist as data: versioned, bilingual (Bahasa Indonesia and English).

An application pins the version it started with (`OnboardingApplication.checklist_version`), so a
later edition of the list never changes what a region already answered or what a visit verified.
To change the list, add a new version to CHECKLISTS and move CURRENT_VERSION; never edit a version
that applications may have pinned.

An item is either **declared** (the region attests yes/no and attaches evidence where
`evidence_required`) or **computed** (evaluated from live tenant data by the check named
`check` in readiness.py). Titles, hints and area names carry both languages, so the API and
the pages can show either without a message catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

DECLARED, COMPUTED = "declared", "computed"
KINDS = (DECLARED, COMPUTED)


@dataclass(frozen=True)
class Text:
    """One phrase in both languages."""

    id: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "en": self.en}

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.id


# The areas in the order the checklist is worked through.
AREAS = MappingProxyType({
    "administration": Text("Administrasi", "Administration"),
    "room": Text("Ruang kendali", "Control room"),
    "staff": Text("Personel", "Staff"),
    "network": Text("Jaringan", "Network"),
    "training": Text("Pelatihan", "Training"),
    "agencies": Text("Instansi", "Agencies"),
    "reporting": Text("Pelaporan", "Reporting"),
})


@dataclass(frozen=True)
class Item:
    code: str
    area: str
    title: Text
    kind: str
    mandatory: bool = True
    evidence_required: bool = False
    evidence_hint: Text | None = None  # what to attach (declared items)
    check: str | None = None  # the readiness check that computes it (computed items)

    @property
    def declared(self) -> bool:
        return self.kind == DECLARED

    @property
    def computed(self) -> bool:
        return self.kind == COMPUTED


@dataclass(frozen=True)
class Checklist:
    version: int
    items: tuple[Item, ...]

    def __post_init__(self):
        codes = [item.code for item in self.items]
        if len(codes) != len(set(codes)):
            raise ValueError(f"checklist {self.version}: duplicate item codes")
        for item in self.items:
            if item.area not in AREAS or item.kind not in KINDS:
                raise ValueError(f"checklist {self.version}: bad area or kind on {item.code}")
            if item.computed and (item.check is None or item.evidence_required):
                raise ValueError(f"checklist {self.version}: computed item {item.code} needs a check and no evidence")

    def get(self, code: str) -> Item | None:
        return next((item for item in self.items if item.code == code), None)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items)

    @property
    def mandatory(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.mandatory)

    @property
    def declared(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.declared)

    @property
    def computed(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.computed)


def _declared(code, area, title_id, title_en, hint_id, hint_en, mandatory=True, evidence=True) -> Item:
    return Item(code, area, Text(title_id, title_en), DECLARED, mandatory, evidence, Text(hint_id, hint_en))


def _computed(code, area, title_id, title_en, check) -> Item:
    return Item(code, area, Text(title_id, title_en), COMPUTED, True, False, None, check)


VERSION_1 = Checklist(1, (
    # administration
    _declared("application_letter", "administration",
              "Surat permohonan dari Bupati/Wali Kota", "Application letter from the Bupati/Walikota",
              "Pindaian surat bertanda tangan dan berstempel (PDF).", "Scan of the signed and stamped letter (PDF)."),
    _declared("regulation_112", "administration",
              "Perbup/Perwal tentang layanan panggilan darurat 112", "Perbup/Perwal (regional regulation) on 112",
              "Salinan peraturan yang telah diundangkan (PDF).", "Copy of the promulgated regulation (PDF)."),
    _declared("management_decree", "administration",
              "SK tim pengelola layanan 112", "Decree appointing the 112 management team",
              "Salinan surat keputusan (PDF).", "Copy of the decree (PDF)."),
    _declared("sop", "administration",
              "SOP penanganan panggilan 112", "Standard operating procedure for 112 calls",
              "Dokumen SOP yang disahkan (PDF).", "The approved SOP document (PDF)."),
    _declared("budget", "administration",
              "Anggaran operasional layanan 112", "Budget for operating the 112 service",
              "Kutipan DPA/APBD yang memuat anggaran 112 (PDF).", "Extract of the regional budget (DPA/APBD) line for 112 (PDF)."),
    _declared("neighbour_agreements", "administration",
              "Perjanjian kerja sama dengan daerah tetangga (penelepon di perbatasan)",
              "Agreements with neighbouring regions (callers near the border)",
              "Naskah perjanjian kerja sama (PDF).", "The signed agreements (PDF).", mandatory=False),
    # room
    _declared("control_room", "room",
              "Ruang kendali khusus layanan 112", "Dedicated control room for 112",
              "Foto ruang kendali (JPEG/PNG) atau denah (PDF).", "Photos of the control room (JPEG/PNG) or its plan (PDF)."),
    _declared("workstations", "room",
              "Meja kerja untuk seluruh operator satu shift", "Workstations for the operators of a shift",
              "Foto meja kerja beserta perangkatnya.", "Photos of the workstations and their equipment."),
    _declared("power_backup", "room",
              "Catu daya cadangan (UPS/genset)", "Power backup (UPS/generator)",
              "Foto UPS/genset dan spesifikasinya.", "Photos of the UPS/generator and its specification."),
    _declared("access_control", "room",
              "Kontrol akses ruang kendali", "Access control to the control room",
              "Foto kontrol akses (kunci kartu, buku tamu, CCTV).", "Photos of the access control (card lock, visitor log, CCTV)."),
    # staff (computed from the roster)
    _computed("roster_24_7", "staff",
              "Roster menutup 24/7 untuk 30 hari ke depan dengan staf minimum",
              "The roster covers 24/7 for the next 30 days at minimum staff", "roster_coverage"),
    _computed("supervisor_every_shift", "staff",
              "Ada supervisor di setiap shift (30 hari ke depan)", "A supervisor on every shift (next 30 days)",
              "supervisor_every_shift"),
    # network
    _declared("internet_redundant", "network",
              "Internet dengan jalur cadangan (redundan)", "Internet with a redundant link",
              "Kontrak/berita acara kedua penyedia internet.", "Contracts or acceptance reports of both internet links."),
    _declared("sip_trunk_or_ippbx", "network",
              "SIP trunk atau IP-PBX", "SIP trunk or IP-PBX",
              "Kontrak SIP trunk atau foto/spesifikasi IP-PBX.", "SIP trunk contract or photos/specification of the IP-PBX."),
    _computed("inbound_lines", "network",
              "Minimal dua saluran masuk 112 aktif", "At least two active 112 inbound lines", "inbound_lines"),
    _declared("call_recording", "network",
              "Perekaman panggilan", "Call recording",
              "Tangkapan layar sistem perekam atau berita acara uji.", "Screenshot of the recording system or its test report."),
    # training
    _computed("operators_trained", "training",
              "Setiap petugas dalam roster memiliki pelatihan yang berlaku",
              "Every rostered operator holds valid training", "operators_trained"),
    _declared("simulation_exercise", "training",
              "Latihan simulasi penanganan panggilan telah lulus", "A call-handling simulation exercise passed",
              "Laporan simulasi beserta foto (PDF/JPEG/PNG).", "Report of the simulation with photos (PDF/JPEG/PNG)."),
    # agencies (computed from the directory)
    _computed("agency_contacts", "agencies",
              "Polisi, pemadam kebakaran, layanan medis dan penanggulangan bencana masing-masing punya kontak aktif",
              "Police, fire, medical and disaster agencies each with an active contact", "agency_contacts"),
    # reporting
    _declared("national_reporting", "reporting",
              "Data layanan terkirim ke pemantauan nasional", "Service data reaching the national monitoring",
              "Tangkapan layar dasbor nasional yang memuat data daerah.",
              "Screenshot of the national dashboard showing the region's data."),
))

CHECKLISTS = MappingProxyType({checklist.version: checklist for checklist in (VERSION_1,)})
CURRENT_VERSION = 1


def checklist(version: int = CURRENT_VERSION) -> Checklist:
    """The checklist of a version (KeyError for one that never existed)."""
    return CHECKLISTS[version]
