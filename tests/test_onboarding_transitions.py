"""The application's state machine under any sequence of actions (hypothesis, stateful).

The machine drives the real services against the real database with two people (a regional admin and
a ministry verifier), while the region's readiness changes under it (an inbound line switched off and
on, an item answered no and yes). A model says, before each step, whether the step is legal. Properties:

- a legal step succeeds and moves to the model's next status; an illegal one is refused (403 for the
  wrong role, 409 otherwise, 404 for a visit that is not there) and changes nothing: not the status,
  not the application's version, not the history, not the tenant's status;
- no sequence reaches `approved` unless the last completed visit passed every mandatory item and every
  computed item was green at that moment, nor `submitted` without every mandatory item ready;
- the tenant's status always follows the application's.
"""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select

from siaga112.onboarding import service
from siaga112.onboarding.application import ACTIONS
from siaga112.onboarding.state import EDITABLE
from siaga112.onboarding.checklist import checklist
from siaga112.onboarding.models import OnboardingApplication, OnboardingTransition, OnboardingVerdict
from siaga112.platform.tenancy.context import PLATFORM
from siaga112.platform.tenancy.models import Tenant
from tests.test_onboarding_helpers import (actor_of, answer_everything, make_ready, person, reset_application, run,
                                           set_line_active, tenant_of)

PROSPECT_STAGES = {"draft", "withdrawn", "rejected"}
MANDATORY = [item.code for item in checklist().mandatory]
FAILED_ITEM = "power_backup"
TOGGLED_ITEM = "sop"


@pytest.fixture(scope="module")
def ambon(database):
    tenant = tenant_of(database, "81.71")
    return tenant, make_ready(database, tenant)


def snapshot(database, tenant):
    """What an illegal step must leave exactly as it was."""
    with database.transaction(PLATFORM) as session:
        application = session.scalar(select(OnboardingApplication).where(OnboardingApplication.tenant_id == tenant.id))
        transitions = session.scalar(select(func.count()).select_from(OnboardingTransition)
                                     .where(OnboardingTransition.tenant_id == tenant.id))
        verdicts = session.scalar(select(func.count()).select_from(OnboardingVerdict)
                                  .where(OnboardingVerdict.tenant_id == tenant.id))
        return (application.status, application.version, transitions, verdicts,
                session.get(Tenant, tenant.id).status)


def test_no_sequence_of_actions_breaks_the_rules(database, services, ambon):
    tenant, made = ambon
    admin_user, _ = person(database, "regional_admin", tenant)
    verifier_user, _ = person(database, "ministry_verifier")
    admin, verifier = actor_of(admin_user, "regional_admin"), actor_of(verifier_user, "ministry_verifier")
    line = made["lines"][0]

    class Onboarding(RuleBasedStateMachine):
        @initialize()
        def fresh_application(self):
            reset_application(database, tenant)
            set_line_active(database, tenant, line, True)
            answer_everything(database, services, tenant, admin)
            self.status = "draft"
            self.line_active = True  # every computed item green
            self.declared_ready = True
            self.visit = None  # the open verification visit
            self.verdicts_complete = False
            self.visit_passes = False
            self.last_visit_passes = None

        # --- helpers --------------------------------------------------------------------------

        def legal_or_unchanged(self, legal: bool, step, refused=(service.Conflict,)):
            before = snapshot(database, tenant)
            if legal:
                return step()
            with pytest.raises(refused):
                step()
            assert snapshot(database, tenant) == before
            return None

        # --- the application's actions --------------------------------------------------------

        @rule(action=st.sampled_from(sorted(ACTIONS)), as_verifier=st.booleans())
        def act(self, action, as_verifier):
            spec = ACTIONS[action]
            actor = verifier if as_verifier else admin
            if actor.role not in spec.roles:
                self.legal_or_unchanged(False, lambda: run(database, tenant, service.act, action, "catatan", actor),
                                        refused=service.Forbidden)
                return
            guard = True
            if action == "submit":
                guard = self.declared_ready and self.line_active
            elif action == "approve":
                guard = bool(self.last_visit_passes) and self.line_active
            legal = self.status in spec.sources and guard
            self.legal_or_unchanged(legal, lambda: run(database, tenant, service.act, action, "catatan", actor))
            if legal:
                if action == "approve":
                    self.approved_with = (self.last_visit_passes, self.line_active)
                if action in ("withdraw", "reject"):
                    self.visit = None
                self.status = spec.target
            event(f"{action} {'done' if legal else 'refused'}")

        @rule(all_pass=st.booleans())
        def advance(self, all_pass):
            """The next step towards approval (hypothesis rarely strings six of them together by chance)."""
            if self.status in ("draft", "changes_requested"):
                self.act("submit", False)
            elif self.status in ("withdrawn", "rejected"):
                self.act("reopen", False)
            elif self.status == "submitted":
                self.act("start_review", True)
            elif self.status == "in_review":
                self.schedule()
            elif self.status == "visit_scheduled":
                self.verdicts(all_pass)
                self.complete()
            elif self.status == "visited":
                self.act("approve", True)

        # --- the region's data ----------------------------------------------------------------

        @rule()
        def toggle_line(self):
            self.line_active = not self.line_active
            set_line_active(database, tenant, line, self.line_active)

        @rule(yes=st.booleans())
        def answer(self, yes):
            legal = self.status in EDITABLE
            self.legal_or_unchanged(legal, lambda: run(database, tenant, service.answer_item, TOGGLED_ITEM,
                                                       "yes" if yes else "no", None, admin))
            if legal:
                self.declared_ready = yes

        # --- visits ---------------------------------------------------------------------------

        @rule()
        def schedule(self):
            legal = self.status == "in_review"
            visit = self.legal_or_unchanged(legal, lambda: run(database, tenant, service.schedule_visit, {
                "scheduled_for": date.today() + timedelta(days=1), "place": "Ruang 112"}, verifier))
            if legal:
                self.visit, self.status = visit.id, "visit_scheduled"
                self.verdicts_complete = self.visit_passes = False

        @precondition(lambda self: self.visit is not None)
        @rule(all_pass=st.booleans())
        def verdicts(self, all_pass):
            for code in MANDATORY:
                verdict = "fail" if code == FAILED_ITEM and not all_pass else "pass"
                run(database, tenant, service.record_verdict, self.visit, code, verdict, None, verifier)
            self.verdicts_complete, self.visit_passes = True, all_pass

        @precondition(lambda self: self.visit is not None)
        @rule()
        def complete(self):
            legal = self.verdicts_complete
            self.legal_or_unchanged(legal, lambda: run(database, tenant, service.visit_action, self.visit, "complete",
                                                       verifier))
            if legal:
                self.status, self.visit, self.last_visit_passes = "visited", None, self.visit_passes
            event(f"complete {'done' if legal else 'refused'}")

        @precondition(lambda self: self.visit is not None)
        @rule()
        def cancel(self):
            run(database, tenant, service.visit_action, self.visit, "cancel", verifier)
            self.status, self.visit = "in_review", None

        # --- what always holds ----------------------------------------------------------------

        @invariant()
        def database_agrees_with_the_model(self):
            if not hasattr(self, "status"):
                return
            status, _version, _transitions, _verdicts, tenant_status = snapshot(database, tenant)
            assert status == self.status
            assert tenant_status == ("prospect" if status in PROSPECT_STAGES else "onboarding")

        @invariant()
        def approval_only_with_its_guards(self):
            if getattr(self, "status", None) != "approved":
                return
            assert self.approved_with == (True, True)
            with database.transaction(PLATFORM) as session:
                application = service.find_application(session, tenant.id)
                visit = service.latest_verification(session, application)
                verdicts = {code: v.verdict for code, v in service.verdicts_of(session, visit).items()}
            assert all(verdicts.get(code) == "pass" for code in MANDATORY)

    run_state_machine_as_test(Onboarding, settings=settings(
        max_examples=25, stateful_step_count=30, deadline=None, database=None,
        suppress_health_check=list(HealthCheck)))
