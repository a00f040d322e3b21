"""Each step announces the new status to the user group of each person on the referral
(``user.<id>``, joined by their notification socket) on commit, with this exact payload
(and nothing is announced for a step that was refused)."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from clinics.referrals import actions
from cloudhospital.core.errors import InvalidTransition
from cloudhospital.core.events import user_group


def test_sending_and_declining_announce_the_status(world, up_at, settings,
                                                   django_capture_on_commit_callbacks):
    """The payload is what is tested here, so on the in-process layer (Redis pub/sub
    channels live on one event loop; the layer itself has its own tests)."""
    from tests.referrals.conftest import consent

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

    draft = up_at("draft")
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    group = user_group(world.alice.user_id)  # the referring doctor
    async_to_sync(layer.group_add)(group, channel)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            sent = consent(world.alice, draft)
        assert async_to_sync(layer.receive)(channel) == {
            "type": "referral.status", "referral": str(draft.pk), "status": "requested"}
        with django_capture_on_commit_callbacks(execute=True) as refused:
            with pytest.raises(InvalidTransition):
                actions.arrive(world.sam.user, sent)
        assert refused == []
        with django_capture_on_commit_callbacks(execute=True):
            actions.decline(world.sam.user, sent, reason="full")
        assert async_to_sync(layer.receive)(channel)["status"] == "declined"
    finally:
        async_to_sync(layer.group_discard)(group, channel)
