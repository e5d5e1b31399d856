"""SLAs of deployments and incoming webhooks: created, read, changed and deleted alike on
every transport."""

from __future__ import annotations

import uuid

import pytest

from headwater.client.protocol import Client
from headwater.exceptions import DeploymentNotFound, ObjectAlreadyExists, ObjectNotFound
from headwater.schemas.slas import SlaCreate
from headwater.schemas.webhooks import WebhookCreate, WebhookUpdate
from headwater.slas import FrequencySla, LatenessSla, TimeToCompletionSla
from tests.client.conformance.contract_deployments import deployment
from tests.client.conformance.records import unique


class HooksContract:
    def test_deployment_slas(self, client: Client) -> None:
        made = client.apply_deployment(
            deployment(
                sla=[
                    TimeToCompletionSla(name="ttc", duration=60, severity="high"),
                    LatenessSla(name="late", within=30),
                ]
            )
        )
        found = client.read_deployment_slas(made.id)
        assert [(s.name, s.type, s.duration, s.severity) for s in found] == [
            ("late", "lateness", 30.0, "moderate"),
            ("ttc", "time-to-completion", 60.0, "high"),
        ]
        ttc = found[1]
        # re-applying keeps an unchanged SLA (its id); sla=None leaves them as they are
        again = client.apply_deployment(
            deployment(
                flow_name=made.flow_name,
                sla=[TimeToCompletionSla(name="ttc", duration=60, severity="high")],
            )
        )
        assert [s.id for s in client.read_deployment_slas(again.id)] == [ttc.id]
        client.apply_deployment(deployment(flow_name=made.flow_name))
        assert [s.name for s in client.read_deployment_slas(made.id)] == ["ttc"]
        freq = client.create_deployment_sla(
            made.id, FrequencySla(name="daily", stale_after=86400, labels={"team": "data"})
        )
        assert freq.type == "frequency" and freq.labels == {"team": "data"}
        replaced = client.create_deployment_sla(
            made.id, SlaCreate(name="daily", type="frequency", duration=3600)
        )
        assert replaced.id == freq.id and replaced.duration == 3600
        client.delete_deployment_sla(made.id, ttc.id)
        assert [s.name for s in client.read_deployment_slas(made.id)] == ["daily"]
        with pytest.raises(ObjectNotFound):
            client.delete_deployment_sla(made.id, ttc.id)
        with pytest.raises(DeploymentNotFound):
            client.read_deployment_slas(uuid.uuid4())

    def test_webhooks_lifecycle(self, client: Client) -> None:
        name = unique("conf-hook")
        template = '{"event": "x.{{ body.kind }}", "resource": {"headwater.resource.id": "x"}}'
        made = client.create_webhook(WebhookCreate(name=name, template=template))
        assert made.enabled and made.template == template and len(made.slug) >= 20
        assert client.read_webhook(made.id) == made
        assert [w.id for w in client.read_webhooks_by_name(name)] == [made.id]
        assert made.id in {w.id for w in client.read_webhooks(limit=10_000)}
        with pytest.raises(ObjectAlreadyExists):
            client.create_webhook(WebhookCreate(name=name, template=template))
        off = client.update_webhook(made.id, WebhookUpdate(enabled=False, description="off"))
        assert off.enabled is False and off.description == "off" and off.template == template
        rotated = client.rotate_webhook(made.id)
        assert rotated.slug != made.slug
        client.delete_webhook(made.id)
        with pytest.raises(ObjectNotFound):
            client.read_webhook(made.id)
        with pytest.raises(ObjectNotFound):
            client.delete_webhook(made.id)
        with pytest.raises(ValueError, match="not valid Jinja"):
            WebhookCreate(name=name, template="{{ body.x ")
