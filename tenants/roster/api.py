"""Shift templates in local time, assignments, the rotation generator, and 24/7 coverage."""

from flask.views import MethodView
from siaga112.platform.api import ApiBlueprint, SelectPage, refuse
from siaga112.platform.db import request_session
from siaga112.platform.identity.access import current_access, roles_allowed
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
def _etag(shift):
    return {"id": str(shift.id), "version": shift.version}


def _shift(shift_id):
    try:
        return service.get_shift(request_session(), current_access().tenant.id, shift_id)
    except service.NotFound as error:
        refuse(error)


@blp.route("/shifts")
class Shifts(MethodView):
    @roles_allowed(*READERS)
    @blp.response(200, ShiftSchema(many=True))
    @blp.paginate(SelectPage, page_size=50, max_page_size=200)
    def get(self, tenant):
        """The tenant's shift templates, by start time (local)"""
        return service.shifts_query(current_access().tenant.id)

    @roles_allowed(*SHIFT_WRITERS)
    @blp.etag
    @blp.arguments(ShiftCreateSchema)
    @blp.response(201, ShiftSchema)
    @blp.alt_response(409, description="Another shift has this code")
    def post(self, body, tenant):
        """Create a shift template: start and end in local time (it may end the next day, 23:30–07:30)"""
        access, session = current_access(), request_session()
        try:
            shift = service.create_shift(session, access.tenant.id, body, access.actor())
        except service.RosterError as error:
            refuse(error)
        session.commit()
        blp.set_etag(_etag(shift))
        return shift


@blp.route("/shifts/<uuid:shift_id>")
class ShiftById(MethodView):
    @roles_allowed(*READERS)
    @blp.etag
    @blp.response(200, ShiftSchema)
    def get(self, tenant, shift_id):
        """One shift template, with an ETag"""
        shift = _shift(shift_id)
        blp.set_etag(_etag(shift))
        return shift

    @roles_allowed(*SHIFT_WRITERS)
    @blp.etag
    @blp.arguments(ShiftUpdateSchema)
    @blp.response(200, ShiftSchema)
    @blp.alt_response(412, description="The If-Match ETag is stale: fetch the shift again")
    def patch(self, changes, tenant, shift_id):
        """Change a shift template; needs If-Match"""
        access, session = current_access(), request_session()
        shift = _shift(shift_id)
        blp.check_etag(_etag(shift))
        try:
            service.update_shift(session, shift, changes, access.actor())
        except service.RosterError as error:
            refuse(error)
        session.commit()
        blp.set_etag(_etag(shift))
        return shift

    @roles_allowed(*SHIFT_WRITERS)
    @blp.etag
    @blp.response(204)
    @blp.alt_response(409, description="The shift is on the roster: set it inactive instead")
    def delete(self, tenant, shift_id):
        """Delete a shift template that was never rostered; needs If-Match"""
        access, session = current_access(), request_session()
        shift = _shift(shift_id)
        blp.check_etag(_etag(shift))
        try:
            service.delete_shift(session, shift, access.actor())
        except service.RosterError as error:
            refuse(error)
        session.commit()


@blp.route("/roster")
class Roster(MethodView):
    @roles_allowed(*READERS)
    @blp.arguments(AssignmentQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, AssignmentSchema(many=True))
    @blp.paginate(page_size=500, max_page_size=5000)
    def get(self, tenant, first, last, pagination_parameters, user_id=None, shift_id=None):
        """Assignments of the roster days from..to (local dates, both included), with their times"""
        page = pagination_parameters
        total, items = service.page_of_assignments(request_session(), current_access().tenant, first, last,
                                                   page.first_item, page.page_size, user_id, shift_id)
        page.item_count = total
        return items

    @roles_allowed(*ROSTER_MANAGERS)
    @blp.arguments(AssignmentCreateSchema)
    @blp.response(201, AssignmentSchema)
    @blp.alt_response(409, description="The person is already on this shift that day")
    def post(self, body, tenant):
        """Put a member of the tenant on a shift on a local date (supervisors, regional admins)"""
        access, session = current_access(), request_session()
        try:
            assignment = service.add_assignment(session, access.tenant.id, body["user_id"], body["shift_id"],
                                                body["date"], access.actor())
        except service.RosterError as error:
            refuse(error)
        session.commit()
        return service.placed(access.tenant, assignment)


@blp.route("/roster/<uuid:assignment_id>")
class RosterAssignment(MethodView):
    @roles_allowed(*ROSTER_MANAGERS)
    @blp.response(204)
    def delete(self, tenant, assignment_id):
        """Take an assignment off the roster"""
        access, session = current_access(), request_session()
        try:
            service.remove_assignment(session, service.get_assignment(session, access.tenant.id, assignment_id),
                                      access.actor())
        except service.RosterError as error:
            refuse(error)
        session.commit()


@blp.route("/roster/coverage")
class Coverage(MethodView):
    @roles_allowed(*READERS)
    @blp.arguments(CoverageQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, CoverageSchema)
    def get(self, tenant, first, last, max_weekly_hours):
        """Every gap (local intervals, also in UTC) and every conflict of the roster days from..to"""
        session = request_session()
        try:
            report = service.roster_coverage(session, current_access().tenant, first, last, max_weekly_hours)
        except service.RosterError as error:
            refuse(error, "query")
        return coverage_document(report, service.report_names(session, report))


def _rotation(body) -> generator.Rotation:
    return generator.Rotation(body["first"], body["last"], tuple(body["shift_ids"]), tuple(body["user_ids"]),
                              body["days_per_shift"], body["days_off"], body["replace"])


@blp.route("/roster/rotation/preview")
class RotationPreview(MethodView):
    @roles_allowed(*ROSTER_MANAGERS)
    @blp.arguments(RotationPreviewSchema)
    @blp.response(200, RotationPreviewResultSchema)
    def post(self, body, tenant):
        """What a rotation would put on the roster and the coverage it would give; writes nothing"""
        session = request_session()
        try:
            plan, report = generator.preview(session, current_access().tenant, _rotation(body),
                                             body["max_weekly_hours"])
        except service.RosterError as error:
            refuse(error)
        return preview_document(plan, report, {**plan.names, **service.report_names(session, report)})


@blp.route("/roster/rotation/apply")
class RotationApply(MethodView):
    @roles_allowed(*ROSTER_MANAGERS)
    @blp.arguments(RotationApplySchema)
    @blp.response(200, RotationApplyResultSchema)
    @blp.alt_response(409, description="The plan changed since its preview: preview again")
    def post(self, body, tenant):
        """Write a previewed rotation (send its plan_digest); applying the same plan again adds nothing"""
        access, session = current_access(), request_session()
        try:
            applied = generator.apply(session, access.tenant, _rotation(body), body["plan_digest"], access.actor())
        except service.RosterError as error:
            refuse(error)
        session.commit()
        return {"plan_digest": applied.digest, "created": applied.created, "removed": applied.removed,
                "unchanged": applied.unchanged}
