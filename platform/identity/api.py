"""The members of a tenant and the invitations to join it (regional admins and platform admins)."""

from flask import current_app, jsonify, url_for
from flask.views import MethodView

from ..api import ApiBlueprint, SelectPage
from .access import tenant_scope
from .roles import MINISTRY_ROLES, PLATFORM_ADMIN, REGIONAL_ADMIN, SUPERVISOR
from . import invitations, password_resets, service
from .people import people_rate_limit
from .schemas import InvitationSchema, MemberChangeSchema, MemberInviteSchema, MemberSchema

blp = ApiBlueprint("members", __name__, url_prefix="/api/v1/tenants/<tenant>",
                   description="People and their roles in a tenant, and the invitations to join it.")

READERS = (REGIONAL_ADMIN, SUPERVISOR, PLATFORM_ADMIN, *MINISTRY_ROLES)
MANAGERS = (REGIONAL_ADMIN, PLATFORM_ADMIN)
PAGE = {"pager": SelectPage, "page_size": 50, "max_page_size": 500}


@blp.route("/members")
class Members(MethodView):
    @blp.operation(READERS, MemberSchema(many=True), page=PAGE)
    def get(self, tenant):
        """The tenant's members and their roles"""
        return service.members_query(tenant_scope().tenant_id)

    @people_rate_limit
    @blp.operation(MANAGERS, MemberSchema, 201, body=MemberInviteSchema,
                   refusals={409: "The person already holds this role here, or is invited to it"})
    @blp.alt_response(202, schema=InvitationSchema, description="Invited: the role is granted when the person "
                      "accepts the e-mailed link (whether or not they have an account)")
    def post(self, body, tenant):
        """Give a person a role here: at once for a member of this tenant, otherwise by an e-mailed invitation"""
        scope = tenant_scope()
        granted = invitations.invite(scope.session, scope.tenant, body["email"], body["name"], body["role"],
                                     body["agency_id"], scope.actor, _public_url())
        if isinstance(granted, invitations.Invitation):
            response = jsonify(InvitationSchema().dump(granted))
            response.status_code = 202
            response.headers["Location"] = url_for("members.Invitation", tenant=tenant, invitation_id=granted.id)
            return response
        return granted


@blp.route("/members/<uuid:membership_id>")
class Member(MethodView):
    @blp.operation(READERS, MemberSchema, etag=True)
    def get(self, tenant, membership_id):
        """One membership"""
        scope = tenant_scope()
        return blp.versioned(service.get_member(scope.session, scope.tenant_id, membership_id))

    @blp.operation(MANAGERS, MemberSchema, body=MemberChangeSchema, etag=True)
    def patch(self, body, tenant, membership_id):
        """Change a member's role; needs If-Match"""
        scope = tenant_scope()
        membership = blp.check_version(service.get_member(scope.session, scope.tenant_id, membership_id))
        return blp.versioned(service.change_member(scope.session, membership, body["role"], body["agency_id"],
                                                   scope.actor))

    @blp.operation(MANAGERS, status=204, etag=True)
    def delete(self, tenant, membership_id):
        """Revoke a member's role; needs If-Match"""
        scope = tenant_scope()
        membership = blp.check_version(service.get_member(scope.session, scope.tenant_id, membership_id))
        service.revoke_member(scope.session, membership, scope.actor)


@blp.route("/members/<uuid:membership_id>/unlock")
class MemberUnlock(MethodView):
    @blp.operation(MANAGERS, status=204)
    def post(self, tenant, membership_id):
        """Lift the member's sign-in lock and slow-down after failed sign-ins (audited)"""
        scope = tenant_scope()
        membership = service.get_member(scope.session, scope.tenant_id, membership_id)
        service.unlock_sign_in(scope.session, membership.user, current_app.secret_key, scope.actor, scope.tenant_id)


@blp.route("/members/<uuid:membership_id>/password-reset")
class MemberPasswordReset(MethodView):
    @people_rate_limit
    @blp.operation(MANAGERS, status=202)
    def post(self, tenant, membership_id):
        """E-mail the member a single-use link (valid 24 hours) to choose a new password; earlier links stop working"""
        scope = tenant_scope()
        membership = service.get_member(scope.session, scope.tenant_id, membership_id)
        password_resets.request_reset(scope.session, membership.user, scope.actor, _public_url(), scope.tenant_id,
                                      scope.tenant.name)


@blp.route("/invitations")
class Invitations(MethodView):
    @blp.operation(MANAGERS, InvitationSchema(many=True), page=PAGE)
    def get(self, tenant):
        """Invitations not yet accepted or withdrawn, newest first"""
        return invitations.invitations_query(tenant_scope().tenant_id)


@blp.route("/invitations/<uuid:invitation_id>")
class Invitation(MethodView):
    @blp.operation(MANAGERS, InvitationSchema)
    def get(self, tenant, invitation_id):
        """One invitation"""
        scope = tenant_scope()
        return invitations.get_invitation(scope.session, scope.tenant_id, invitation_id)

    @blp.operation(MANAGERS, status=204, refusals={409: "The invitation was accepted: revoke the membership instead"})
    def delete(self, tenant, invitation_id):
        """Withdraw an invitation: its link stops working at once"""
        scope = tenant_scope()
        invitations.withdraw(scope.session, invitations.get_invitation(scope.session, scope.tenant_id, invitation_id),
                             scope.actor)


@blp.route("/invitations/<uuid:invitation_id>/resend")
class InvitationResend(MethodView):
    @people_rate_limit
    @blp.operation(MANAGERS, InvitationSchema, refusals={409: "The invitation was accepted or withdrawn"})
    def post(self, tenant, invitation_id):
        """E-mail the invitation again with a new link, valid 7 days from now; the earlier link stops working"""
        scope = tenant_scope()
        invitation = invitations.get_invitation(scope.session, scope.tenant_id, invitation_id)
        return invitations.resend(scope.session, scope.tenant, invitation, scope.actor, _public_url())


def _public_url() -> str:
    return current_app.extensions["siaga112.settings"].public_url
