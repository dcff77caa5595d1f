"""An agency's own system: dispatches POSTed to its webhook, HMAC-signed, retried with the same event id until it
answers 2xx, and its acknowledgement coming back through the API as a machine client of the region."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import uuid

import pytest
import requests
from rq import Queue
from sqlalchemy import select

from siaga112.platform.jobs.models import OutboxEvent
from siaga112.platform.jobs.outbox import process_event
from siaga112.platform.jobs.queues import redis_connection
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.tenants.dispatch import webhooks
from siaga112.tenants.dispatch.models import WebhookDelivery
from tests.test_dispatch import an_incident, api, dispatch, headers, pbx, region, web  # noqa: F401
from tests.test_telephony_intake import machine_token


class Receiver:
    """An agency's system on a loopback port: answers the queued statuses in turn (then 200), keeps what came."""

    def __init__(self, statuses=()):
        self.statuses, self.received = list(statuses), []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/siaga112"

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    found = Receiver(statuses=[500])
    yield found
    found.close()


def deliveries(database, region, dispatch_id):
    with database.transaction(TenantContext(region["tenant"].id)) as session:
        rows = session.scalars(select(WebhookDelivery).where(WebhookDelivery.dispatch_id == uuid.UUID(dispatch_id))
                               .order_by(WebhookDelivery.created_at)).all()
        session.expunge_all()
        return rows


def test_a_dispatch_reaches_the_agencys_system_signed_once_however_often_it_is_retried(
        web, pbx, region, database, services, receiver):  # noqa: F811
    admin = headers(region, "admin")
    registered = web.post(api(region, "/agency-webhooks"), headers=admin,
                          json={"agency_id": str(region["agencies"]["fire"]), "url": receiver.url})
    assert registered.status_code == 201, registered.json
    secret = registered.json["secret"]
    assert "secret" not in web.get(api(region, f"/agency-webhooks/{registered.json['id']}"), headers=admin).json

    incident = an_incident(web, pbx, region)
    fire = dispatch(web, region, incident, "fire")["damkar"]
    [delivery] = deliveries(database, region, fire["id"])
    assert delivery.event == "dispatch.sent"

    # The outbox relays the delivery to rq: a job of its own, retried with backoff.
    with database.transaction(PLATFORM) as session:
        event_id = session.scalar(select(OutboxEvent.id).where(OutboxEvent.topic == webhooks.TOPIC,
                                                               OutboxEvent.payload["delivery_id"].astext == str(delivery.id)))
    process_event(database, event_id)
    job = Queue("default", connection=redis_connection(services.redis_url)).fetch_job(f"webhook-{delivery.id}")
    assert job is not None and job.retries_left == len(webhooks.RETRY_INTERVALS)
    assert job.retry_intervals == webhooks.RETRY_INTERVALS

    # The receiver fails the first attempt; the retry carries the same event id and body.
    with pytest.raises(webhooks.WebhookFailed):
        webhooks.deliver(database, delivery.id, requests.post)
    assert webhooks.deliver(database, delivery.id, requests.post) is True
    assert webhooks.deliver(database, delivery.id, requests.post) is False  # delivered: not posted again
    assert len(receiver.received) == 2
    (first_headers, first_body), (second_headers, second_body) = receiver.received
    assert first_headers["X-Siaga112-Event"] == second_headers["X-Siaga112-Event"] == str(delivery.id)
    assert first_body == second_body
    stamp, signed = second_headers["X-Siaga112-Signature"].removeprefix("t=").split(",v1=")
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + second_body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signed, expected)
    sent = json.loads(second_body)
    assert sent["incident"]["number"] == incident["number"] and "+62" not in second_body.decode()
    [row] = deliveries(database, region, fire["id"])
    assert row.attempts == 2 and row.delivered_at is not None and row.last_status == 200

    # The agency's system answers through the API as a machine client of the region.
    system = machine_token(web, database, region["tenant"])
    actions = api(region, f"/incidents/{incident['id']}/dispatches/{fire['id']}/actions")
    assert sent["dispatch"]["actions_url"].endswith(actions)
    acknowledged = web.post(actions, headers=system, json={"action": "acknowledge", "name": "PSC 119 app"})
    assert acknowledged.status_code == 200 and acknowledged.json["acknowledged_via"] == "machine"

    listed = web.get(api(region, f"/agency-webhooks/{registered.json['id']}/deliveries"), headers=admin).json
    assert listed[0]["id"] == str(delivery.id) and listed[0]["attempts"] == 2
    assert web.delete(api(region, f"/agency-webhooks/{registered.json['id']}"), headers=admin).status_code == 204


def test_a_webhook_address_must_be_https_and_only_the_admin_registers_one(web, region):  # noqa: F811
    body = {"agency_id": str(region["agencies"]["police"]), "url": "http://polres.example.go.id/hook"}
    refused = web.post(api(region, "/agency-webhooks"), headers=headers(region, "admin"), json=body)
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "json.url"
    for inside in ("https://10.1.2.3/hook", "https://192.168.0.10/hook", "https://169.254.169.254/latest"):
        body["url"] = inside  # an address of a private network (the cloud's metadata service among them)
        assert web.post(api(region, "/agency-webhooks"), headers=headers(region, "admin"), json=body).status_code == 422
    body["url"] = "https://polres.example.go.id/hook"
    assert web.post(api(region, "/agency-webhooks"), headers=headers(region, "operator"), json=body).status_code == 403
    assert web.get(api(region, "/agency-webhooks"), headers=headers(region, "police")).status_code == 403
