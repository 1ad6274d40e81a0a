"""Providers for non-email deliveries: the file provider, a webhook against a real HTTP server on
loopback, the tenant setting that picks one, and the dispatcher delivering through them once."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pydantic
import pytest

from agent.retry import DELIVERY_FIRST_WAIT
from agent.settings import TenantSettings
from resources.database import Database, Tenant
from resources.mailer import Mailer
from resources.providers import (
    FileProvider,
    ProviderError,
    Providers,
    WebhookProvider,
)
from resources.store import outbox as box
from resources.store import schema
from resources.store.tenants import get_tenant, update_tenant
from services.dispatch import dispatch_tenant, worker_name
from services.tasks.handlers import TaskRun, handle
from tests.helpers import add_task, approved, clients, rows, seed_tenant
from tests.webhook_sink import WebhookSink

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
ROW = {
    "id": 7,
    "idempotency_key": "task:7:social",
    "kind": "social_post",
    "target": "linkedin",
    "payload": {"text": "Spring inspections are open."},
    "reason": "task 7: spring offer",
}


@pytest.fixture
def hook():
    with WebhookSink(path="/steward") as server:
        yield server


@pytest.fixture
def tenant() -> Tenant:
    return Tenant(1, "acme", "Acme", "UTC", True, TenantSettings())


def test_the_file_provider_writes_the_deliverable_as_json(tenant, tmp_path):
    ref = FileProvider(Mailer(outbox_dir=str(tmp_path))).deliver(tenant, ROW)
    path = Path(ref)
    assert path.parent == tmp_path / "acme" / "social_post" and path.suffix == ".json"
    assert json.loads(path.read_text()) == {
        k: ROW[k] for k in ("idempotency_key", "kind", "target", "payload", "reason")
    }
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def test_a_webhook_gets_the_row_with_its_idempotency_key(tenant, hook):
    ref = WebhookProvider(hook.url).deliver(tenant, ROW)
    assert ref == f"{hook.url} -> HTTP 200"
    ((headers, body),) = hook.received
    assert headers["Idempotency-Key"] == "task:7:social"
    assert headers["Content-Type"] == "application/json"
    assert body == {
        "tenant": "acme",
        "kind": "social_post",
        "key": "task:7:social",
        "target": "linkedin",
        "payload": {"text": "Spring inspections are open."},
        "reason": "task 7: spring offer",
    }


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (503, True), (429, True),
                                                   (400, False), (404, False)])  # fmt: skip
def test_server_errors_are_retried_and_client_errors_are_not(tenant, hook, status, retryable):
    hook.statuses = [status]
    with pytest.raises(ProviderError) as caught:
        WebhookProvider(hook.url).deliver(tenant, ROW)
    assert caught.value.retryable is retryable
    assert f"HTTP {status}" in str(caught.value)


def test_an_unreachable_or_slow_webhook_is_retried(tenant):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ProviderError) as refused:
        WebhookProvider(f"http://127.0.0.1:{port}/hook", timeout_s=2).deliver(tenant, ROW)
    assert refused.value.retryable and "unreachable" in str(refused.value)
    with WebhookSink(delay_s=1.0) as slow, pytest.raises(ProviderError) as timed_out:
        WebhookProvider(slow.url, timeout_s=0.2).deliver(tenant, ROW)
    assert timed_out.value.retryable


def test_the_setting_picks_a_provider_by_kind_then_bucket(db: Database, tmp_path):
    seed_tenant(db, "acme")
    mailer = Mailer(outbox_dir=str(tmp_path))
    update_tenant(
        db,
        "acme",
        settings_patch={
            "providers": {"social_post": "https://hooks.example/social", "seo": "file"}
        },
    )
    tenant = get_tenant(db, "acme")
    providers = Providers(webhook_timeout_s=3)
    assert providers.for_kind(tenant, "social_post", mailer) == WebhookProvider(
        "https://hooks.example/social", timeout_s=3
    )
    assert isinstance(providers.for_kind(tenant, "seo_change", mailer), FileProvider)
    assert isinstance(providers.for_kind(tenant, "ads_change", mailer), FileProvider)
    update_tenant(db, "acme", settings_patch={"providers": {"ads": "https://hooks.example/ads"}})
    assert providers.for_kind(get_tenant(db, "acme"), "ads_change", mailer).url == (
        "https://hooks.example/ads"
    )
    with pytest.raises(pydantic.ValidationError, match="'smtp://relay' for newsletter"):
        update_tenant(db, "acme", settings_patch={"providers": {"newsletter": "smtp://relay"}})
    with pytest.raises(pydantic.ValidationError, match="no provider can be set for 'send_email'"):
        update_tenant(db, "acme", settings_patch={"providers": {"send_email": "file"}})


def queue_social_post(db: Database, mailer: Mailer) -> str:
    """A person approved a social task; its handler queues the post through the gate."""
    task = add_task(db, "social", "Spring offer", context={"text": "Spring is here."}, **approved())
    outcome = handle(TaskRun(db, mailer, get_tenant(db, "acme"), task, NOW, lambda *a: None))
    assert outcome.status == "completed"
    return outcome.deliverable.removeprefix("outbox:")


@pytest.fixture
def hooked(db: Database, hook: WebhookSink, tmp_path: Path) -> tuple[Database, Mailer]:
    seed_tenant(db, "acme")
    update_tenant(db, "acme", settings_patch={"providers": {"social_post": hook.url}})
    return db, Mailer(outbox_dir=str(tmp_path / "outbox"))


def test_the_dispatcher_retries_a_failed_webhook_and_delivers_it_once(hooked, hook):
    db, mailer = hooked
    key = queue_social_post(db, mailer)
    hook.statuses = [500]
    assert dispatch_tenant(db, clients(mailer), "acme", NOW).counts == {"retry": 1}
    (row,) = rows(db, schema.outbox)
    assert row["status"] == "pending" and "HTTP 500" in row["last_error"]
    assert row["not_before"] is not None and row["claimed_by"] is None
    assert dispatch_tenant(db, clients(mailer), "acme", NOW + timedelta(seconds=10)).counts == {}
    later = NOW + DELIVERY_FIRST_WAIT
    assert dispatch_tenant(db, clients(mailer), "acme", later).counts == {"delivered": 1}
    (row,) = rows(db, schema.outbox)
    assert (row["status"], row["provider"]) == ("delivered", "webhook")
    assert row["provider_ref"] == f"{hook.url} -> HTTP 200"
    assert dispatch_tenant(db, clients(mailer), "acme", later + timedelta(hours=1)).counts == {}
    assert [h["Idempotency-Key"] for h, _ in hook.received] == [key, key]
    assert hook.received[-1][1]["payload"]["text"] == "Spring is here."
    assert not (Path(mailer.outbox_dir) / "acme" / "social_post").exists()


def test_a_refused_webhook_fails_the_row_with_the_answer(hooked, hook):
    db, mailer = hooked
    queue_social_post(db, mailer)
    hook.statuses = [422]
    assert dispatch_tenant(db, clients(mailer), "acme", NOW).counts == {"failed": 1}
    (row,) = rows(db, schema.outbox)
    assert row["status"] == "failed" and "HTTP 422" in row["last_error"]


def test_a_crash_during_the_post_leaves_the_delivery_unknown_not_resent(hooked, hook):
    db, mailer = hooked
    key = queue_social_post(db, mailer)
    (row,) = rows(db, schema.outbox)
    worker = worker_name()
    assert box.claim(db, "acme", row["id"], worker, NOW)
    box.mark_sending(db, "acme", row["id"], worker, NOW)  # then the dispatcher died
    report = dispatch_tenant(db, clients(mailer), "acme", NOW + timedelta(minutes=10))
    assert report.unknown == [key] and hook.received == []
    (row,) = rows(db, schema.outbox)
    assert row["status"] == "delivery_unknown"
    (alert,) = rows(db, schema.alerts)
    assert "social_post hand-over may or may not have been delivered" in alert["detail"]
