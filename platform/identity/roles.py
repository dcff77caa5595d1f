"""The seven roles of DESIGN.md and the scope each is granted at."""

PLATFORM_ADMIN = "platform_admin"
MINISTRY_VERIFIER = "ministry_verifier"
NATIONAL_MONITOR = "national_monitor"
REGIONAL_ADMIN = "regional_admin"
SUPERVISOR = "supervisor"
OPERATOR = "operator"
AGENCY_RESPONDER = "agency_responder"

PLATFORM_ROLES = (PLATFORM_ADMIN, MINISTRY_VERIFIER, NATIONAL_MONITOR)
TENANT_ROLES = (REGIONAL_ADMIN, SUPERVISOR, OPERATOR, AGENCY_RESPONDER)
ROLES = PLATFORM_ROLES + TENANT_ROLES
MINISTRY_ROLES = (MINISTRY_VERIFIER, NATIONAL_MONITOR)

# Not a person's role: what a machine client (client credentials, bound to one tenant) holds there.
MACHINE_CLIENT = "machine_client"
# Not a person's role either: a national telephony gateway's client, bound to no tenant; it may only post calls,
# each routed to the region that owns the dialled line.
TELEPHONY_GATEWAY = "telephony_gateway"


def _labels() -> dict:
    from flask_babel import lazy_gettext

    return {
        PLATFORM_ADMIN: lazy_gettext("Platform admin"),
        MINISTRY_VERIFIER: lazy_gettext("Ministry verifier"),
        NATIONAL_MONITOR: lazy_gettext("National monitor"),
        REGIONAL_ADMIN: lazy_gettext("Regional admin"),
        SUPERVISOR: lazy_gettext("Supervisor"),
        OPERATOR: lazy_gettext("Operator"),
        AGENCY_RESPONDER: lazy_gettext("Agency responder"),
        MACHINE_CLIENT: lazy_gettext("Machine client"),
        TELEPHONY_GATEWAY: lazy_gettext("Telephony gateway"),
    }


# The glossary's names of the roles (docs/glossary.md), in the reader's language: pages never show a role code.
ROLE_LABELS = _labels()


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def role_list(roles, conjunction: str = "or") -> str:
    """'Regional admin or Supervisor' in the reader's language (babel's list patterns)."""
    from babel.lists import format_list
    from flask_babel import get_locale

    labels = [role_label(role) for role in ROLES + (MACHINE_CLIENT, TELEPHONY_GATEWAY) if role in set(roles)]
    return format_list(labels, style="or" if conjunction == "or" else "standard", locale=get_locale()) if labels else ""


class RoleNames:
    """Roles as a message parameter: named in the language the message is rendered in, when it is."""

    def __init__(self, roles, conjunction: str = "or"):
        self.roles, self.conjunction = tuple(roles), conjunction

    def __str__(self) -> str:
        return role_list(self.roles, self.conjunction)
