"""The audit trail is append-only and written on reads; tokens and tickets behave."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from cloudhospital.security import tokens
from cloudhospital.security.models import AppendOnlyError, AuditEntry, Ticket


def test_audit_entries_cannot_be_changed_or_deleted(world):
    from cloudhospital.security import audit

    entry = audit.record(world.alice.user, "patient.read", world.pat, address="10.1.2.3")
    assert (entry.patient_id, entry.actor_label, entry.client_address) == (
        world.pat.pk, "alice", "10.1.2.3")
    entry.action = "nothing.happened"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()


def test_reading_a_consultation_through_the_api_is_audited(world, consultation_at, api_as):
    consultation = consultation_at("requested")
    before = AuditEntry.objects.count()
    response = api_as(world.sam.user).get(f"/consultations/{consultation.pk}",
                                          REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 200
    entry = AuditEntry.objects.order_by("-id").first()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.actor, entry.action, entry.object_id, entry.patient_id,
            entry.client_address) == (world.sam.user, "consultation.read",
                                      str(consultation.pk), world.pat.pk, "192.0.2.7")


def test_listing_patients_and_consultations_is_audited(world, consultation_at, api_as):
    consultation_at("draft")
    client = api_as(world.alice.user)
    client.get("/consultations")
    client.get("/patients")
    actions = list(AuditEntry.objects.filter(actor=world.alice.user)
                   .values_list("action", flat=True))
    assert "consultation.list" in actions and "patient.list" in actions


def test_a_token_authenticates_until_it_is_revoked(world, api_as):
    token, raw = tokens.create_api_token(world.alice.user, "clinic cart")
    assert raw not in token.digest and raw.startswith("chk_")
    assert tokens.user_for_api_token(raw) == world.alice.user
    tokens.revoke_api_token(token)
    assert tokens.user_for_api_token(raw) is None
    assert tokens.user_for_api_token("chk_not-a-token") is None


def test_create_api_token_prints_the_token_alone_on_its_last_line(world, capsys):
    call_command("create_api_token", "alice")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    assert tokens.user_for_api_token(raw) == world.alice.user


def test_a_ticket_is_single_use_and_bound_to_its_room(world):
    raw = tokens.issue_ticket(world.alice.user, "consultation:1")
    assert tokens.redeem_ticket(raw, "consultation:2") is None
    assert tokens.redeem_ticket(raw, "consultation:1") == world.alice.user
    assert tokens.redeem_ticket(raw, "consultation:1") is None


def test_an_expired_ticket_is_refused(world):
    raw = tokens.issue_ticket(world.alice.user, "consultation:1")
    Ticket.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert tokens.redeem_ticket(raw, "consultation:1") is None
