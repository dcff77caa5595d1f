from flask.views import MethodView
from flask_smorest import abort

from ..api import ApiBlueprint, SelectPage
from ..db import request_session
from .access import current_access, roles_allowed
from .roles import MINISTRY_ROLES, PLATFORM_ADMIN, REGIONAL_ADMIN, SUPERVISOR
from . import service
from .schemas import MemberChangeSchema, MemberInviteSchema, MemberSchema

blp = ApiBlueprint("members", __name__, url_prefix="/api/v1/tenants/<tenant>/members",
                   description="People and their roles in a tenant.")

READERS = (REGIONAL_ADMIN, SUPERVISOR, PLATFORM_ADMIN, *MINISTRY_ROLES)
MANAGERS = (REGIONAL_ADMIN, PLATFORM_ADMIN)


def _etag(membership):
    return {"id": str(membership.id), "version": membership.version}


def _member(membership_id):
    try:
        return service.get_member(request_session(), current_access().tenant.id, membership_id)
    except service.MemberNotFound as error:
        abort(404, message=str(error))


@blp.route("")
class Members(MethodView):
    @roles_allowed(*READERS)
    @blp.response(200, MemberSchema(many=True))
    @blp.paginate(SelectPage, page_size=50, max_page_size=500)
    def get(self, tenant):
        """The tenant's members and their roles"""
        return service.members_query(current_access().tenant.id)

    @roles_allowed(*MANAGERS)
    @blp.arguments(MemberInviteSchema)
    @blp.response(201, MemberSchema)
    @blp.alt_response(409, description="The person already holds this role here")
    def post(self, body, tenant):
        """Grant a tenant role to a person (invites them if they have no account yet)"""
        access, session = current_access(), request_session()
        try:
            membership = service.invite_member(session, access.tenant.id, body["email"], body["name"], body["role"],
                                               body["agency_id"], access.actor())
        except service.DuplicateGrant as error:
            abort(409, message=str(error))
        except service.IdentityError as error:
            abort(422, message=str(error))
        session.commit()
        return membership


@blp.route("/<uuid:membership_id>")
class Member(MethodView):
    @roles_allowed(*READERS)
    @blp.etag
    @blp.response(200, MemberSchema)
    def get(self, tenant, membership_id):
        """One membership"""
        membership = _member(membership_id)
        blp.set_etag(_etag(membership))
        return membership

    @roles_allowed(*MANAGERS)
    @blp.etag
    @blp.arguments(MemberChangeSchema)
    @blp.response(200, MemberSchema)
    def patch(self, body, tenant, membership_id):
        """Change a member's role; needs If-Match"""
        access, session = current_access(), request_session()
        membership = _member(membership_id)
        blp.check_etag(_etag(membership))
        try:
            service.change_member(session, membership, body["role"], body["agency_id"], access.actor())
        except service.StaleMember as error:
            abort(412, message=str(error))
        except service.IdentityError as error:
            abort(422, message=str(error))
        session.commit()
        blp.set_etag(_etag(membership))
        return membership

    @roles_allowed(*MANAGERS)
    @blp.etag
    @blp.response(204)
    def delete(self, tenant, membership_id):
        """Revoke a member's role; needs If-Match"""
        access, session = current_access(), request_session()
        membership = _member(membership_id)
        blp.check_etag(_etag(membership))
        service.revoke_member(session, membership, access.actor())
        session.commit()
