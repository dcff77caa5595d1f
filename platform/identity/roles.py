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
