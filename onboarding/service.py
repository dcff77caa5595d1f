"""The onboarding context's operations, in one place for the API, the pages and jobs.

Plain functions over a session in the tenant's context (or platform context for the pipeline);
every rule lives in them, split by subject:

- state.py       — the shared vocabulary (statuses in words, limits) and the state of each item
- application.py — the application, its state machine and guards, the pipeline
- items.py       — answers to declared items, evidence files
- visits.py      — verification and monitoring visits, verdicts, the visit report
- routing.py     — telco routing after approval, go-live
- readiness.py   — the computed items; checklist.py — the checklist as data

The request's unit of work commits (platform.db); store_evidence and remove_evidence tie their files
to that commit (on_commit/on_rollback), so that file and row never disagree. Refusals are the kernel's (platform.refusals): Invalid,
Forbidden, NotFound, Stale, and Blocked (a Conflict whose `missing` lists what must hold first).
"""

from siaga112.platform.refusals import Conflict, Forbidden, Invalid, NotFound, Refusal, Stale

from .application import (ACTIONS, PIPELINE_STAGES, ApplicationView, act, approval_gaps, available_actions,
                          computed_results, etag_data, history, latest_verification, pipeline_query, region_stages,
                          stage_counts, submission_gaps, view)
from .common import Blocked, Missing, TRANSITION_TOPIC, find_application, lock_application, open_application
from .items import (MAX_EVIDENCE_BYTES, answer_item, find_answer, get_evidence, list_evidence, remove_evidence,
                    save_item, store_evidence)
from .readiness import evaluate as evaluate_readiness
from .routing import (ROUTING_ACTIONS, fail_test_call, failed_test_calls, get_routing, go_live_if_ready, list_routing,
                      routing_action, routing_gaps)
from .state import EDITABLE, MAX_NOTE, STATUS_TEXT, ItemState, item_of, item_states
from .visits import (VISIT_ACTIONS, VisitReport, active_verifiers, find_verdict, get_visit, record_verdict,
                     schedule_visit, update_visit, verdicts_of, verifiers_of, visit_action, visit_report, visits_query)

__all__ = [
    "Conflict", "Forbidden", "Invalid", "NotFound", "Refusal", "Stale",
    "ACTIONS", "PIPELINE_STAGES", "ApplicationView", "act", "approval_gaps", "available_actions",
    "computed_results", "etag_data", "history", "latest_verification", "pipeline_query", "region_stages",
    "stage_counts", "submission_gaps", "view",
    "Blocked", "Missing", "TRANSITION_TOPIC", "find_application", "lock_application", "open_application",
    "MAX_EVIDENCE_BYTES", "answer_item", "find_answer", "get_evidence", "list_evidence", "remove_evidence",
    "save_item", "store_evidence",
    "evaluate_readiness",
    "ROUTING_ACTIONS", "fail_test_call", "failed_test_calls", "get_routing", "go_live_if_ready", "list_routing",
    "routing_action", "routing_gaps",
    "EDITABLE", "MAX_NOTE", "STATUS_TEXT", "ItemState", "item_of", "item_states",
    "VISIT_ACTIONS", "VisitReport", "active_verifiers", "find_verdict", "get_visit", "record_verdict",
    "schedule_visit", "update_visit", "verdicts_of", "verifiers_of", "visit_action", "visit_report", "visits_query",
]
