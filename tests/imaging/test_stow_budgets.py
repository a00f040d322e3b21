"""STOW-RS under hostile bodies: authentication and size before the body is read, parts
streamed and counted, quarantine rows per request capped, 413 with the JSON error."""

from __future__ import annotations

import io
import json

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from imaging.dicomweb import multipart, views
from imaging.models import Instance, QuarantinedItem
from tests.imaging.dicomfiles import encode, synthetic
from tests.imaging.test_stow import post

pytestmark = pytest.mark.django_db
MiB = 1024**2


@pytest.fixture
def alice_token(world):
    from cloudhospital.security.tokens import create_api_token

    return {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(world.alice.user)[1]}"}


class Untouchable(io.RawIOBase):
    """A request body that fails the test if anyone reads it."""

    def read(self, size=-1):
        raise AssertionError("the body was read")

    readline = read


def _request(user, length: int | None, body=None, **meta):
    boundary = multipart.new_boundary()
    request = RequestFactory().generic(
        "POST", "/dicomweb/studies", b"",
        content_type=f'multipart/related; type="application/dicom"; boundary={boundary}',
        **meta)
    if length is None:
        request.META.pop("CONTENT_LENGTH", None)
    else:
        request.META["CONTENT_LENGTH"] = str(length)
    request._stream = body if body is not None else Untouchable()
    request.user = user
    return request, boundary


def _studies(request):
    """The STOW view is async (its work runs on the imaging pool): called as Django would."""
    return async_to_sync(views.studies)(request)


def test_an_unauthenticated_200_mib_body_is_answered_401_unread(world):
    request, _ = _request(AnonymousUser(), 200 * MiB)
    response = _studies(request)
    assert response.status_code == 401


def test_a_patient_gets_404_or_403_before_the_body_is_read(world, alice_token):
    request, _ = _request(world.pat.user, 200 * MiB)
    assert _studies(request).status_code in (403, 404)


def test_a_declared_length_over_the_limit_is_413_before_reading(world, alice_token,
                                                                settings):
    settings.DICOMWEB_MAX_STOW_BYTES = 10 * MiB
    request, _ = _request(AnonymousUser(), 11 * MiB, **alice_token)
    response = _studies(request)
    assert response.status_code == 413
    body = json.loads(response.content)
    assert body["error"] == "too_large" and "DICOMWEB_MAX_STOW_BYTES" in body["message"]


def test_a_chunked_body_is_cut_off_at_the_limit_while_it_streams(world, alice_token,
                                                                 settings):
    settings.DICOMWEB_MAX_STOW_BYTES = 1 * MiB
    boundary = "b0"
    body = b"".join(multipart.encode([("application/dicom", bytes(600 * 1024))] * 3,
                                     boundary))
    request, _ = _request(AnonymousUser(), None, io.BytesIO(body), **alice_token)
    request.META["CONTENT_TYPE"] = f'multipart/related; type="application/dicom"; ' \
                                   f"boundary={boundary}"
    response = _studies(request)
    assert response.status_code == 413
    assert "DICOMWEB_MAX_STOW_BYTES" in json.loads(response.content)["message"]


def test_more_parts_than_allowed_is_413(world, client, alice_token, settings):
    settings.DICOMWEB_MAX_STOW_PARTS = 3
    response = post(client, [encode(synthetic()) for _ in range(4)], **alice_token)
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert "DICOMWEB_MAX_STOW_PARTS" in response.json()["message"]


def test_a_part_over_the_instance_limit_is_413(world, client, alice_token, settings):
    settings.IMAGING_MAX_INSTANCE_BYTES = 4096
    response = post(client, [encode(synthetic())], **alice_token)
    assert response.status_code == 413
    assert "IMAGING_MAX_INSTANCE_BYTES" in response.json()["message"]
    assert not Instance.objects.exists() and not QuarantinedItem.objects.exists()


def test_twenty_thousand_one_byte_parts_do_not_make_twenty_thousand_quarantine_rows(
        world, client, alice_token):
    response = post(client, [b"x"] * 20000, **alice_token)
    assert response.status_code == 413  # DICOMWEB_MAX_STOW_PARTS (5000) by default
    assert QuarantinedItem.objects.count() <= 100


def test_refused_parts_beyond_the_quota_are_answered_but_not_kept(world, client, alice_token,
                                                                  settings):
    settings.IMAGING_MAX_QUARANTINE_PER_REQUEST = 5
    response = post(client, [b"x"] * 30 + [encode(synthetic())], **alice_token)
    assert response.status_code == 202
    assert len(response.json()["00081198"]["Value"]) == 30
    assert QuarantinedItem.objects.count() == 5 and Instance.objects.count() == 1


def test_the_streaming_parser_reads_what_the_encoder_writes():
    parts = [("application/dicom", b""), ("application/dicom", b"\r\n--x\r\n"),
             ("application/dicom", bytes(range(256)) * 1000)]
    body = b"".join(multipart.encode(parts, "bnd"))
    for chunk in (1, 7, 1 << 16):
        got = list(multipart.iter_parts(io.BytesIO(body), "multipart/related; boundary=bnd",
                                        chunk=chunk))
        assert [p for _, p in got] == [p for _, p in parts]
        assert all(h["content-type"] == "application/dicom" for h, _ in got)
