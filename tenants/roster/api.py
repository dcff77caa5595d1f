"""Shift templates in local time, assignments, the rotation generator, and 24/7 coverage."""

from flask.views import MethodView
from siaga112.platform.api import ApiBlueprint, SelectPage
from siaga112.platform.identity.access import tenant_scope
from siaga112.platform.identity.roles import (
    MINISTRY_ROLES,
    OPERATOR,
    PLATFORM_ADMIN,
    REGIONAL_ADMIN,
    SUPERVISOR,
)

from . import generator, service
from .schemas import (
    AssignmentCreateSchema,
    AssignmentQuerySchema,
    AssignmentSchema,
    CoverageQuerySchema,
    CoverageSchema,
    RotationApplyResultSchema,
    RotationApplySchema,
    RotationPreviewResultSchema,
    RotationPreviewSchema,
    ShiftCreateSchema,
    ShiftSchema,
    ShiftUpdateSchema,
    coverage_document,
    preview_document,
)

blp = ApiBlueprint("roster", __name__, url_prefix="/api/v1/tenants/<tenant>",
                   description="Shift templates in local time, assignments, the rotation generator, and 24/7 coverage.")

READERS = (REGIONAL_ADMIN, SUPERVISOR, OPERATOR, PLATFORM_ADMIN, *MINISTRY_ROLES)
SHIFT_WRITERS = (REGIONAL_ADMIN,)
ROSTER_MANAGERS = (SUPERVISOR, REGIONAL_ADMIN)
SHIFT_PAGE = {"pager": SelectPage, "page_size": 50, "max_page_size": 200}


@blp.route("/shifts")
class Shifts(MethodView):
    @blp.operation(READERS, ShiftSchema(many=True), page=SHIFT_PAGE)
    def get(self, tenant):
        """The tenant's shift templates, by start time (local)"""
        return service.shifts_query(tenant_scope().tenant_id)

    @blp.operation(SHIFT_WRITERS, ShiftSchema, 201, body=ShiftCreateSchema, etag=True,
                   refusals={409: "Another shift has this code"})
    def post(self, body, tenant):
        """Create a shift template: start and end in local time (it may end the next day, 23:30–07:30)"""
        scope = tenant_scope()
        return blp.versioned(service.create_shift(scope.session, scope.tenant_id, body, scope.actor))


@blp.route("/shifts/<uuid:shift_id>")
class ShiftById(MethodView):
    @blp.operation(READERS, ShiftSchema, etag=True)
    def get(self, tenant, shift_id):
        """One shift template, with an ETag"""
        scope = tenant_scope()
        return blp.versioned(service.get_shift(scope.session, scope.tenant_id, shift_id))

    @blp.operation(SHIFT_WRITERS, ShiftSchema, body=ShiftUpdateSchema, etag=True,
                   refusals={412: "The If-Match ETag is stale: fetch the shift again"})
    def patch(self, changes, tenant, shift_id):
        """Change a shift template; needs If-Match"""
        scope = tenant_scope()
        shift = blp.check_version(service.get_shift(scope.session, scope.tenant_id, shift_id))
        return blp.versioned(service.update_shift(scope.session, shift, changes, scope.actor))

    @blp.operation(SHIFT_WRITERS, status=204, etag=True,
                   refusals={409: "The shift is on the roster: set it inactive instead"})
    def delete(self, tenant, shift_id):
        """Delete a shift template that was never rostered; needs If-Match"""
        scope = tenant_scope()
        shift = blp.check_version(service.get_shift(scope.session, scope.tenant_id, shift_id))
        service.delete_shift(scope.session, shift, scope.actor)


@blp.route("/roster")
class Roster(MethodView):
    @blp.operation(READERS, AssignmentSchema(many=True), query=AssignmentQuerySchema, as_kwargs=True,
                   page={"page_size": 500, "max_page_size": 5000})
    def get(self, tenant, first, last, pagination_parameters, user_id=None, shift_id=None):
        """Assignments of the roster days from..to (local dates, both included), with their times"""
        page, scope = pagination_parameters, tenant_scope()
        total, items = service.page_of_assignments(scope.session, scope.tenant, first, last, page.first_item,
                                                   page.page_size, user_id, shift_id)
        page.item_count = total
        return items

    @blp.operation(ROSTER_MANAGERS, AssignmentSchema, 201, body=AssignmentCreateSchema,
                   refusals={409: "The person is already on this shift that day"})
    def post(self, body, tenant):
        """Put a member of the tenant on a shift on a local date (supervisors, regional admins)"""
        scope = tenant_scope()
        assignment = service.add_assignment(scope.session, scope.tenant_id, body["user_id"], body["shift_id"],
                                            body["date"], scope.actor)
        return service.placed(scope.tenant, assignment)


@blp.route("/roster/<uuid:assignment_id>")
class RosterAssignment(MethodView):
    @blp.operation(ROSTER_MANAGERS, status=204)
    def delete(self, tenant, assignment_id):
        """Take an assignment off the roster"""
        scope = tenant_scope()
        assignment = service.get_assignment(scope.session, scope.tenant_id, assignment_id)
        service.remove_assignment(scope.session, assignment, scope.actor)


@blp.route("/roster/coverage")
class Coverage(MethodView):
    @blp.operation(READERS, CoverageSchema, query=CoverageQuerySchema, as_kwargs=True)
    def get(self, tenant, first, last, max_weekly_hours):
        """Every gap (local intervals, also in UTC) and every conflict of the roster days from..to"""
        scope = tenant_scope()
        report = service.roster_coverage(scope.session, scope.tenant, first, last, max_weekly_hours)
        return coverage_document(report, service.report_names(scope.session, report))


def _rotation(body) -> generator.Rotation:
    return generator.Rotation(body["first"], body["last"], tuple(body["shift_ids"]), tuple(body["user_ids"]),
                              body["days_per_shift"], body["days_off"], body["replace"])


@blp.route("/roster/rotation/preview")
class RotationPreview(MethodView):
    @blp.operation(ROSTER_MANAGERS, RotationPreviewResultSchema, body=RotationPreviewSchema)
    def post(self, body, tenant):
        """What a rotation would put on the roster and the coverage it would give; writes nothing"""
        scope = tenant_scope()
        plan, report = generator.preview(scope.session, scope.tenant, _rotation(body), body["max_weekly_hours"])
        return preview_document(plan, report, {**plan.names, **service.report_names(scope.session, report)})


@blp.route("/roster/rotation/apply")
class RotationApply(MethodView):
    @blp.operation(ROSTER_MANAGERS, RotationApplyResultSchema, body=RotationApplySchema,
                   refusals={409: "The plan changed since its preview: preview again"})
    def post(self, body, tenant):
        """Write a previewed rotation (send its plan_digest); applying the same plan again adds nothing"""
        scope = tenant_scope()
        applied = generator.apply(scope.session, scope.tenant, _rotation(body), body["plan_digest"], scope.actor)
        return {"plan_digest": applied.digest, "created": applied.created, "removed": applied.removed,
                "unchanged": applied.unchanged}
