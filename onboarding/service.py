"""The onboarding context's operations, in one place for the API, the pages and jobs.

Plain functions over a session in the tenant's context (or platform context for the pipeline);
every rule lives in them, split by subject:

- application.py — the application, its state machine and guards, item states, the pipeline
- items.py       — answers to declared items, evidence files
- visits.py      — verification and monitoring visits, verdicts, the visit report
- routing.py     — telco routing after approval, go-live
- readiness.py   — the computed items; checklist.py — the checklist as data

Callers commit (except store_evidence, which commits so that file and row never disagree).
Refusals are OnboardingError subclasses carrying an HTTP-like `status`, the `field` at fault, a
`code`, and for conflicts the `missing` list.
"""

from .application import (ACTIONS, EDITABLE, PIPELINE_STAGES, ApplicationView, ItemState, act, approval_gaps,
                           available_actions, computed_results, etag_data, history, item_states,
                           latest_verification, pipeline_query, region_stages, stage_counts, submission_gaps,
                           view)
from .common import (Conflict, Forbidden, Invalid, Missing, NotFound, OnboardingError, Stale, TRANSITION_TOPIC,
                     find_application, lock_application, open_application)
from .items import (MAX_EVIDENCE_BYTES, answer_item, find_answer, get_evidence, item_of, list_evidence,
                    remove_evidence, store_evidence)
from .readiness import evaluate as evaluate_readiness
from .routing import ROUTING_ACTIONS, get_routing, go_live_if_ready, list_routing, routing_action, routing_gaps
from .visits import (VISIT_ACTIONS, VisitReport, active_verifiers, find_verdict, get_visit, record_verdict,
                     schedule_visit, update_visit, verdicts_of, verifiers_of, visit_action, visit_report, visits_query)

__all__ = [
    "ACTIONS", "EDITABLE", "PIPELINE_STAGES", "ApplicationView", "ItemState", "act", "approval_gaps",
    "available_actions", "computed_results", "etag_data", "history", "item_states", "latest_verification",
    "pipeline_query", "region_stages", "stage_counts", "submission_gaps", "view",
    "Conflict", "Forbidden", "Invalid", "Missing", "NotFound", "OnboardingError", "Stale", "TRANSITION_TOPIC",
    "find_application", "lock_application", "open_application",
    "MAX_EVIDENCE_BYTES", "answer_item", "find_answer", "get_evidence", "item_of", "list_evidence",
    "remove_evidence", "store_evidence",
    "evaluate_readiness",
    "ROUTING_ACTIONS", "get_routing", "go_live_if_ready", "list_routing", "routing_action", "routing_gaps",
    "VISIT_ACTIONS", "VisitReport", "active_verifiers", "find_verdict", "get_visit", "record_verdict",
    "schedule_visit", "update_visit", "verdicts_of", "verifiers_of", "visit_action", "visit_report", "visits_query",
]
