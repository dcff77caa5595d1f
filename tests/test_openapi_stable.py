"""The API document stays what clients were promised while the kernel underneath is rewritten.

tests/data/openapi_before_w2.json is the document as it was before [W2 1/6] moved every context onto
the kernel's refusal type, unit of work and resource helpers. The document now must be the same,
except at the places listed in INTENDED, each changed on purpose by a fix of that issue.
"""

import json
from pathlib import Path

BEFORE = Path(__file__).parent / "data" / "openapi_before_w2.json"

# JSON paths (as tuples of keys) whose subtree may differ, and why.
INTENDED: dict[tuple[str, ...], str] = {
    ("components", "schemas", "Invitation"): "item 4: adding a person is an invitation",
    ("paths", "/api/v1/tenants/{tenant}/invitations"): "item 4: the pending invitations",
    ("paths", "/api/v1/tenants/{tenant}/invitations/{invitation_id}"): "item 4: one invitation, withdrawing it",
    ("paths", "/api/v1/tenants/{tenant}/members", "post", "responses", "202"): "item 4: invited, not yet granted",
    ("paths", "/api/v1/tenants/{tenant}/members", "post", "responses", "409", "description"): "item 4: or invited",
    ("paths", "/api/v1/tenants/{tenant}/members", "post", "summary"): "item 4: granted at once only to members",
    ("paths", "/api/v1/tenants/{tenant}/members/{membership_id}/unlock"): "item 7: an admin lifts a sign-in lock",
    ("components", "schemas", "Problem", "properties", "code"): "item 9: every refusal names its reason",
    ("tags", "members", "description"): "item 4: the members' blueprint has the invitations too",
    ("paths", "/api/v1/tenants/{tenant}/invitations/{invitation_id}/resend"): "[W2 2/6] 2: resend with a new link",
    ("paths", "/api/v1/tenants/{tenant}/members/{membership_id}/password-reset"): "[W2 2/6] 2: a link to a new password",
    ("paths", "/api/v1/telephony/events"): "[W2 3/6] 2: the telephony intake",
    ("paths", "/api/v1/tenants/{tenant}/calls"): "[W2 3/6] 7: a region's calls",
    ("paths", "/api/v1/tenants/{tenant}/calls/{call_id}"): "[W2 3/6] 7: one call",
    ("components", "schemas", "Call"): "[W2 3/6]: a call",
    ("components", "schemas", "Intake"): "[W2 3/6]: the intake's answer",
    ("components", "schemas", "TelephonyEvent"): "[W2 3/6]: a PBX's event",
    ("components", "schemas", "CallUpdate"): "[W2 3/6] 1: what an operator records of a call",
    ("components", "schemas", "Location"): "[W2 3/6] 1: where: what the caller said, AML's position",
    ("components", "schemas", "Aml"): "[W2 3/6] 2: the position a PBX receives with the call",
    ("components", "schemas", "Incident"): "[W2 3/6] 1: an incident, several calls",
    ("components", "schemas", "IncidentCreate"): "[W2 3/6] 1: an incident opened from a call",
    ("components", "schemas", "IncidentUpdate"): "[W2 3/6] 1: changing or closing an incident",
    ("paths", "/api/v1/tenants/{tenant}/incidents"): "[W2 3/6] 7: a region's incidents",
    ("paths", "/api/v1/tenants/{tenant}/incidents/{incident_id}"): "[W2 3/6] 7: one incident",
    ("components", "schemas", "Callback"): "[W2 3/6] 4: a call to ring back",
    ("components", "schemas", "CallbackUpdate"): "[W2 3/6] 4: how the callback went",
    ("paths", "/api/v1/tenants/{tenant}/callbacks"): "[W2 3/6] 7: the callback list",
    ("paths", "/api/v1/tenants/{tenant}/callbacks/{callback_id}"): "[W2 3/6] 7: one callback's outcome",
    ("components", "schemas", "Handover"): "[W2 3/6] 4: a shift handover note",
    ("components", "schemas", "HandoverCreate"): "[W2 3/6] 4: writing a handover note",
    ("paths", "/api/v1/tenants/{tenant}/handovers"): "[W2 3/6] 7: shift handover notes",
    ("paths", "/api/v1/tenants/{tenant}/handovers/{handover_id}/acknowledgement"): "[W2 3/6] 4: the incoming "
                                                                                    "supervisor acknowledges",
    ("components", "schemas", "Extension"): "[W2 3/6] 2: the extension an operator answers on",
    ("components", "schemas", "ExtensionSet"): "[W2 3/6] 2: setting an extension",
    ("paths", "/api/v1/tenants/{tenant}/extensions"): "[W2 3/6] 2: extensions to operators",
    ("paths", "/api/v1/tenants/{tenant}/call-settings"): "[W2 3/6] 5: the region's retention of callers' numbers",
    ("components", "schemas", "CallSettings"): "[W2 3/6] 5: the region's retention of callers' numbers",
    ("components", "schemas", "ChecklistItem", "properties", "fact"): "[W2 3/6] 2: a region's test calls shown on its "
                                                                      "simulation item",
    ("paths", "/api/v1/tenants/{tenant}/extensions/{extension}"): "[W2 3/6] 2: one extension",
    ("components", "schemas", "CallLog"): "[W2 3/6]: a call logged by hand",
    ("components", "schemas", "CallerNumber"): "[W2 3/6] 5: the caller's number, every read recorded",
    ("paths", "/api/v1/tenants/{tenant}/calls/{call_id}/caller"): "[W2 3/6] 5: the caller's number",
    ("paths", "/api/v1/tenants/{tenant}/blocks"): "[W2 3/6] 4: temporary blocks of a caller",
    ("paths", "/api/v1/tenants/{tenant}/blocks/{block_id}"): "[W2 3/6] 4: lifting a block",
    ("components", "schemas", "Block"): "[W2 3/6] 4: a block",
    ("components", "schemas", "BlockCreate"): "[W2 3/6] 4: blocking a caller",
    ("tags", "calls"): "[W2 3/6]: the calls blueprint",
    ("tags", "telephony"): "[W2 3/6]: the telephony blueprint",
    ("components", "schemas", "AgencyRef"): "[W2 4/6] 1: the agency a dispatch goes to",
    ("components", "schemas", "Dispatch"): "[W2 4/6] 1: a dispatch and its steps",
    ("components", "schemas", "DispatchAction"): "[W2 4/6] 1: acknowledge, on scene, report, done, cancel",
    ("components", "schemas", "DispatchCreate"): "[W2 4/6] 1: sending an incident to agencies",
    ("components", "schemas", "EscalationPolicy"): "[W2 4/6] 4: the region's escalation steps",
    ("components", "schemas", "Step"): "[W2 4/6] 4: one escalation step",
    ("components", "schemas", "Photo"): "[W2 4/6] 1: a photo of the follow-up report",
    ("components", "schemas", "PhotoUpload"): "[W2 4/6] 1: a photo of the follow-up report",
    ("components", "schemas", "Proposal"): "[W2 4/6] 1: the agencies the category proposes",
    ("components", "schemas", "TimelineEntry"): "[W2 4/6] 5: the incident's timeline",
    ("paths", "/api/v1/tenants/{tenant}/dispatches"): "[W2 4/6] 2: the dispatches an agency responder sees",
    ("paths", "/api/v1/tenants/{tenant}/escalation-policy"): "[W2 4/6] 4: the region's escalation policy",
    ("paths", "/api/v1/tenants/{tenant}/incidents/{incident_id}/dispatch-proposal"): "[W2 4/6] 1: the agencies the category proposes",
    ("paths", "/api/v1/tenants/{tenant}/incidents/{incident_id}/dispatches"): "[W2 4/6] 7: an incident's dispatches",
    ("paths", "/api/v1/tenants/{tenant}/incidents/{incident_id}/dispatches/{dispatch_id}"): "[W2 4/6] 7: one dispatch",
    ("paths", "/api/v1/tenants/{tenant}/incidents/{incident_id}/dispatches/{dispatch_id}/actions"): "[W2 4/6] 7: a dispatch's actions",
    ("paths", "/api/v1/tenants/{tenant}/incidents/{incident_id}/dispatches/{dispatch_id}/photos"): "[W2 4/6] 1: the follow-up report's photos",
    ("paths", "/api/v1/tenants/{tenant}/incidents/{incident_id}/dispatches/{dispatch_id}/photos/{photo_id}"): "[W2 4/6] 1: one photo",
    ("paths", "/api/v1/tenants/{tenant}/incidents/{incident_id}/timeline"): "[W2 4/6] 5: the incident's timeline",
    ("tags", "dispatch"): "[W2 4/6]: the dispatch blueprint",
    ("paths", "/api/v1/tenants/{tenant}/incidents/{incident_id}/dispatches/{dispatch_id}/links"): "[W2 4/6] 3: revoking a dispatch's e-mailed links",
    ("paths", "/api/v1/tenants/{tenant}/incidents/{incident_id}/transfer"): "[W2 4/6] 6: handing an incident to a neighbouring region",
    ("paths", "/api/v1/tenants/{tenant}/incidents/{incident_id}/transfers"): "[W2 4/6] 6: an incident's transfers",
    ("paths", "/api/v1/tenants/{tenant}/neighbours"): "[W2 4/6] 6: the neighbouring regions and their 112 status",
    ("components", "schemas", "Transfer"): "[W2 4/6] 6: transfers",
    ("components", "schemas", "TransferCreate"): "[W2 4/6] 6: transfers",
    ("components", "schemas", "Neighbour"): "[W2 4/6] 6: transfers",
    ("components", "schemas", "RegionRef"): "[W2 4/6] 6: transfers",
    ("components", "schemas", "Delivery"): "[W2 4/6] 3: agencies' webhooks",
    ("components", "schemas", "Webhook"): "[W2 4/6] 3: agencies' webhooks",
    ("components", "schemas", "WebhookCreate"): "[W2 4/6] 3: agencies' webhooks",
    ("components", "schemas", "WebhookCreated"): "[W2 4/6] 3: agencies' webhooks",
    ("paths", "/api/v1/tenants/{tenant}/agency-webhooks"): "[W2 4/6] 3: agencies' webhooks",
    ("paths", "/api/v1/tenants/{tenant}/agency-webhooks/{webhook_id}"): "[W2 4/6] 3: agencies' webhooks",
    ("paths", "/api/v1/tenants/{tenant}/agency-webhooks/{webhook_id}/deliveries"): "[W2 4/6] 3: agencies' webhooks",
    ("paths", "/api/v1/regions", "get", "description"): "[W2 2/6] 10: served from the last sync, ETag and 304",
    ("paths", "/api/v1/regions/external-112"): "[W2 2/6] 8: the ministry imports the regions running 112 elsewhere",
    ("components", "schemas", "ExternalImport"): "[W2 2/6] 8: what an import changes",
    ("components", "schemas", "ExternalCounts"): "[W2 2/6] 8: what an import changes",
    ("components", "schemas", "ExternalChange"): "[W2 2/6] 8: what an import changes",
    ("components", "schemas", "ExternalImportFile"): "[W2 2/6] 8: the CSV of an import",
}


def by_name(value):
    """A list of named objects (the document's tags) as a mapping, so that one changed tag is one difference."""
    if isinstance(value, list) and value and all(isinstance(item, dict) and "name" in item for item in value):
        return {item["name"]: item for item in value}
    return value


def differences(before, after, path=()):
    """Every JSON path at which the two documents differ, as deep as they still share structure."""
    before, after = by_name(before), by_name(after)
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(set(before) | set(after)):
            if key not in before or key not in after:
                found.append((*path, key))
            else:
                found.extend(differences(before[key], after[key], (*path, key)))
        return found
    return [] if before == after else [path]


def intended(path) -> bool:
    return any(path[:len(prefix)] == prefix for prefix in INTENDED)


def test_openapi_document_is_unchanged_but_for_intended_fixes(client):
    before = json.loads(BEFORE.read_text())
    after = client.get("/api/v1/openapi.json").json
    unexpected = [" → ".join(path) for path in differences(before, after) if not intended(path)]
    assert unexpected == [], "The API document changed where no fix meant it to:\n" + "\n".join(unexpected)


def test_the_comparison_sees_a_change():
    """Guards the test above: a comparison that found nothing would prove nothing."""
    before = {"paths": {"/a": {"get": {"summary": "x"}}}}
    after = {"paths": {"/a": {"get": {"summary": "y"}, "post": {}}}}
    assert differences(before, after) == [("paths", "/a", "get", "summary"), ("paths", "/a", "post")]
