"""E-mail to the people who must act next, on every transition of an onboarding application.

common.record_transition emits TRANSITION in the transaction of the change.
This handler runs in the outbox worker's transaction, in platform context (it
reads people of the ministry and of the tenant), and writes one outgoing_mail
row per person there: the mails exist exactly when the event counts as
handled, and the rq job in platform/jobs/mail.py sends them after that commit.

Who hears of what (subject, action → audience):

    application submit           → every ministry verifier (a resubmission after changes has its own words)
    application withdraw         → every ministry verifier, unless it was still a draft they never saw
    application start_review, schedule_visit, cancel_visit, record_visit, request_changes, approve,
                reject, go_live  → the tenant's regional admins
    visit schedule / cancel      → the verifiers on that visit (verifier_ids of the payload); for a
                                   monitoring visit the regional admins too (a verification visit
                                   reaches them through the application's own transition)
    visit complete (monitoring)  → the regional admins, to read the findings
    routing activate             → the ministry verifiers (a test call to make) and the regional admins
                                   (a test call to answer)
    nothing for reopen (the region acts on its own draft), routing request (the approval mail says
    the telcos are being asked) and pass_test_call (go_live follows once every telco has passed).

Names and addresses come from the database, never from the payload, so a
renamed or deactivated person is treated as they are now.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.orm import Session

from siaga112.platform.identity.models import Membership, PlatformRole, User
from siaga112.platform.identity.roles import MINISTRY_VERIFIER, REGIONAL_ADMIN
from siaga112.platform.jobs.events import on
from siaga112.platform.jobs.mail import queue_mail
from siaga112.platform.mail import bilingual, bilingual_subject
from siaga112.platform.tenancy.models import Tenant

from .models import TELCOS

log = logging.getLogger(__name__)

TRANSITION = "onboarding.transition"
MINISTRY = "ministry"  # every active ministry verifier
REGION = "region"  # the tenant's active regional admins
VISIT_TEAM = "visit_team"  # the active ministry verifiers named on the visit


@dataclass(frozen=True)
class Notice:
    """Who must act next and what to tell them; {region}, {telco}, {date} and {place} are filled in."""

    audience: str
    subject_id: str
    subject_en: str
    text_id: str
    text_en: str


SUBMITTED = Notice(
    MINISTRY, "Pengajuan 112 baru: {region}", "New 112 application: {region}",
    "{region} mengajukan aktivasi layanan 112. Mohon mulai peninjauan pengajuan dan buktinya.",
    "{region} has applied to have 112 activated. Please start reviewing the application and its evidence.")
RESUBMITTED = Notice(
    MINISTRY, "Pengajuan 112 diajukan ulang: {region}", "112 application resubmitted: {region}",
    "{region} telah melengkapi perbaikan yang diminta dan mengajukan ulang. Mohon tinjau kembali.",
    "{region} has made the requested changes and applied again. Please review it again.")
WITHDRAWN = Notice(
    MINISTRY, "Pengajuan 112 ditarik: {region}", "112 application withdrawn: {region}",
    "{region} menarik pengajuannya. Peninjauan dihentikan dan kunjungan yang terjadwal dibatalkan.",
    "{region} has withdrawn its application. The review stops and scheduled visits are cancelled.")
IN_REVIEW = Notice(
    REGION, "Pengajuan 112 {region} sedang ditinjau", "112 application under review: {region}",
    "Kementerian mulai meninjau pengajuan Anda. Jaga jadwal jaga, nomor, dan data instansi tetap mutakhir: "
    "butir yang dihitung otomatis harus tetap hijau.",
    "The ministry has started reviewing your application. Keep rosters, numbers and agencies up to date: "
    "the computed items must stay green.")
VISIT_SCHEDULED = Notice(
    REGION, "Kunjungan verifikasi {date}: {region}", "Verification visit on {date}: {region}",
    "Kementerian akan berkunjung pada {date} di {place}. Siapkan ruang kendali, petugas jaga, dan dokumen asli.",
    "The ministry will visit on {date} at {place}. Have the control room, the staff on duty and the original "
    "documents ready.")
VISIT_CANCELLED = Notice(
    REGION, "Kunjungan verifikasi dibatalkan: {region}", "Verification visit cancelled: {region}",
    "Kunjungan verifikasi dibatalkan; pengajuan kembali ditinjau dan kementerian akan menjadwalkan ulang.",
    "The verification visit is cancelled; the application is back in review and the ministry will reschedule.")
VISITED = Notice(
    REGION, "Kunjungan verifikasi selesai: {region}", "Verification visit completed: {region}",
    "Hasil kunjungan telah dicatat dan kini dinilai kementerian.",
    "The visit's results are recorded; the ministry is now assessing them.")
CHANGES_REQUESTED = Notice(
    REGION, "Perbaikan diminta: pengajuan 112 {region}", "Changes requested: 112 application of {region}",
    "Kementerian meminta perbaikan. Lengkapi yang diminta, lalu ajukan ulang.",
    "The ministry asks for changes. Make them, then submit the application again.")
APPROVED = Notice(
    REGION, "Pengajuan 112 {region} disetujui", "112 application approved: {region}",
    "Pengajuan Anda disetujui. Kementerian kini meminta operator seluler mengarahkan 112 ke nomor masuk Anda; "
    "pastikan jalur masuk siap menerima panggilan uji.",
    "Your application is approved. The ministry is now asking the telcos to route 112 to your inbound lines; "
    "make sure they are ready to take test calls.")
REJECTED = Notice(
    REGION, "Pengajuan 112 {region} ditolak", "112 application rejected: {region}",
    "Kementerian menolak pengajuan Anda; alasannya ada pada catatan. Anda dapat membukanya kembali sebagai draf baru.",
    "The ministry has rejected your application; the note says why. You may reopen it as a new draft.")
LIVE = Notice(
    REGION, "Layanan 112 {region} telah aktif", "112 is live in {region}",
    "Panggilan 112 kini diarahkan ke pusat panggilan Anda. Pastikan setiap giliran jaga terisi, 24 jam sehari.",
    "112 calls are now routed to your call centre. Make sure every shift is staffed, around the clock.")
VISIT_ASSIGNED = Notice(
    VISIT_TEAM, "Tugas kunjungan {date}: {region}", "Visit assignment on {date}: {region}",
    "Anda ditugaskan mengunjungi {region} pada {date} di {place}.",
    "You are assigned to visit {region} on {date} at {place}.")
VISIT_CALLED_OFF = Notice(
    VISIT_TEAM, "Kunjungan dibatalkan: {region}", "Visit cancelled: {region}",
    "Kunjungan ke {region} yang Anda ikuti dibatalkan.",
    "The visit to {region} you were assigned to is cancelled.")
MONITORING_SCHEDULED = Notice(
    REGION, "Kunjungan pemantauan {date}: {region}", "Monitoring visit on {date}: {region}",
    "Kementerian akan melakukan kunjungan pemantauan pada {date} di {place}.",
    "The ministry will make a monitoring visit on {date} at {place}.")
MONITORING_CANCELLED = Notice(
    REGION, "Kunjungan pemantauan dibatalkan: {region}", "Monitoring visit cancelled: {region}",
    "Kunjungan pemantauan dibatalkan.", "The monitoring visit is cancelled.")
MONITORING_DONE = Notice(
    REGION, "Hasil kunjungan pemantauan: {region}", "Monitoring visit findings: {region}",
    "Temuan dan rekomendasi kunjungan pemantauan telah dicatat. Mohon baca dan tindak lanjuti.",
    "The monitoring visit's findings and recommendations are recorded. Please read them and follow up.")
ROUTING_TEST_CALL_DUE = Notice(
    MINISTRY, "{telco} mengarahkan 112 ke {region}: lakukan panggilan uji",
    "{telco} routes 112 to {region}: test call due",
    "{telco} telah mengarahkan 112 ke {region}. Lakukan panggilan uji lalu catat hasilnya.",
    "{telco} now routes 112 to {region}. Please make the test call and record it.")
ROUTING_ANSWER_TEST_CALL = Notice(
    REGION, "{telco} mengarahkan 112 ke {region}", "{telco} routes 112 to {region}",
    "{telco} telah mengarahkan 112 ke nomor masuk Anda. Kementerian akan melakukan panggilan uji; pastikan dijawab.",
    "{telco} now routes 112 to your inbound lines. The ministry will make a test call; make sure it is answered.")

APPLICATION_NOTICES = {
    "start_review": IN_REVIEW, "schedule_visit": VISIT_SCHEDULED, "cancel_visit": VISIT_CANCELLED,
    "record_visit": VISITED, "request_changes": CHANGES_REQUESTED, "approve": APPROVED, "reject": REJECTED,
    "go_live": LIVE,
}
VISIT_TEAM_NOTICES = {"schedule": VISIT_ASSIGNED, "cancel": VISIT_CALLED_OFF}
MONITORING_NOTICES = {"schedule": MONITORING_SCHEDULED, "cancel": MONITORING_CANCELLED, "complete": MONITORING_DONE}
ROUTING_NOTICES = {"activate": (ROUTING_TEST_CALL_DUE, ROUTING_ANSWER_TEST_CALL)}


@on(TRANSITION)
def notify_next_actors(session: Session, payload: dict) -> None:
    """Write the mails of one transition (outbox handler; the worker's transaction is in platform context)."""
    notices = notices_for(payload)
    if not notices:
        return
    tenant = _tenant(session, payload)
    if tenant is None:
        # Raising would only fail the event again; the transition itself is recorded, the mail is what is lost.
        log.error("onboarding transition names no known tenant; no mail", extra={"payload": payload})
        return
    for notice in notices:
        _write(session, notice, tenant, payload)


def notices_for(payload: dict) -> list[Notice]:
    subject, action = payload.get("subject") or "application", payload.get("action")
    if subject == "application":
        return _application_notices(action, payload.get("from"))
    if subject == "visit":
        team = VISIT_TEAM_NOTICES.get(action)
        region = MONITORING_NOTICES.get(action) if payload.get("kind") == "monitoring" else None
        return [notice for notice in (team, region) if notice]
    if subject == "routing":
        return list(ROUTING_NOTICES.get(action, ()))
    return []


def _application_notices(action: str | None, from_status: str | None) -> list[Notice]:
    if action == "submit":
        return [RESUBMITTED if from_status == "changes_requested" else SUBMITTED]
    if action == "withdraw":
        return [] if from_status == "draft" else [WITHDRAWN]  # the ministry never saw a draft
    return [APPLICATION_NOTICES[action]] if action in APPLICATION_NOTICES else []


def _tenant(session: Session, payload: dict) -> Tenant | None:
    try:
        return session.get(Tenant, uuid.UUID(str(payload.get("tenant_id"))))
    except ValueError:
        return None


def _write(session: Session, notice: Notice, tenant: Tenant, payload: dict) -> None:
    people = recipients(session, notice.audience, tenant.id, payload.get("verifier_ids") or ())
    if not people:
        log.warning("nobody to notify of an onboarding transition",
                    extra={"tenant": tenant.slug, "audience": notice.audience, "action": payload.get("action")})
        return
    subject, body = render(notice, tenant, payload)
    for person in people:
        queue_mail(session, person.email, subject, body, recipient_name=person.name)


def recipients(session: Session, audience: str, tenant_id: uuid.UUID, visit_team: tuple | list = ()) -> list[User]:
    """The active people of an audience: ministry verifiers (all, or those on the visit), or regional admins."""
    if audience == REGION:
        query = select(User).join(Membership, Membership.user_id == User.id).where(
            Membership.tenant_id == tenant_id, Membership.role == REGIONAL_ADMIN)
    else:
        query = select(User).join(PlatformRole, PlatformRole.user_id == User.id).where(
            PlatformRole.role == MINISTRY_VERIFIER)
        if audience == VISIT_TEAM:
            query = query.where(User.id.in_(_uuids(visit_team)))
    return list(session.scalars(query.where(User.active).order_by(User.email)).unique())


def _uuids(values) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return found


def render(notice: Notice, tenant: Tenant, payload: dict) -> tuple[str, str]:
    """Subject and body in Bahasa Indonesia, with the English below; the note is the actor's own words."""
    from siaga112.platform.jobs.runtime import job_settings

    indonesian_values, english_values = _values(tenant, payload, "id"), _values(tenant, payload, "en")
    link = f"{job_settings().public_url}/tenants/{tenant.slug}/onboarding"
    note = str(payload.get("note") or "").strip()
    indonesian = [notice.text_id.format(**indonesian_values), *([f"Catatan: {note}"] if note else []),
                  f"Buka: {link}"]
    english = [notice.text_en.format(**english_values), *([f"Note: {note}"] if note else []), f"Open: {link}"]
    subject = bilingual_subject(notice.subject_id.format(**indonesian_values),
                                notice.subject_en.format(**english_values))
    return subject, bilingual("\n\n".join(indonesian), "\n\n".join(english))


def _values(tenant: Tenant, payload: dict, language: str) -> dict[str, str]:
    telco = TELCOS.get(payload.get("telco")) or payload.get("telco_name")
    return {
        "region": tenant.name,
        "telco": telco or ("operator seluler" if language == "id" else "the telco"),
        "date": _long_date(payload.get("scheduled_for"), language),
        "place": str(payload.get("place") or ("tempat yang tertera di aplikasi" if language == "id"
                                              else "the place given in the application")),
    }


def _long_date(iso: str | None, language: str) -> str:
    """17 Agustus 2026 / August 17, 2026; the day as written when it is not a date."""
    try:
        return format_date(date.fromisoformat(str(iso)), format="long", locale=language)
    except ValueError:
        return str(iso or "")
