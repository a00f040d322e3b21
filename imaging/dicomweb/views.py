"""DICOMweb entry points under /dicomweb/: authenticate, authorise, call, audit, answer.

Plain Django views (DICOMweb has its own media types and status codes, which ninja's JSON
API does not fit). Auth is a bearer API token or the browser session (STOW with a session
must also pass the CSRF check). Errors are ``{"error", "message"}`` JSON with a 4xx code;
none of these views answers 500 for bad input.
"""

from __future__ import annotations

import functools
import json
import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt

from clinics.access import staff_of
from cloudhospital.core.errors import DomainError, InvalidInput, NotAllowed
from cloudhospital.security import audit
from cloudhospital.security.crypto import DecryptionError
from cloudhospital.security.tokens import user_for_api_token
from imaging import budget, render, sharing, store, validate
from imaging.dicomweb import multipart, qido, stow, wado
from imaging.models import Instance
from imaging.offload import hold_for_test, offload, steps

log = logging.getLogger(__name__)
DICOM_JSON = "application/dicom+json"


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


def _authenticate(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("bearer "):
        return user_for_api_token(header[7:].strip()), "token"
    if request.user.is_authenticated:
        return request.user, "session"
    return None, ""


def endpoint(view=None, *, post: bool = False):
    """Auth, method check, and the mapping of every expected failure to a 4xx answer.
    ``post=True`` for the resources that take STOW-RS.

    The view itself, authentication included (sessions and tokens are database reads),
    runs on the imaging pool (``imaging.offload``), never on the shared sync thread."""
    if view is None:
        return functools.partial(endpoint, post=post)
    allowed = ("GET", "HEAD", "POST") if post else ("GET", "HEAD")

    def handle(request, *args, **kwargs):
        user, how = _authenticate(request)
        if user is None:
            response = _error(401, "unauthorized", "log in or send a valid bearer token")
            response["WWW-Authenticate"] = 'Bearer realm="dicomweb"'
            return response
        if request.method == "POST" and how == "session":
            rejected = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
            if rejected is not None:
                return _error(403, "csrf", "CSRF check failed")
        request.user = user
        try:
            for name in ("study_uid", "series_uid", "sop_uid"):
                if name in kwargs:
                    qido.check_uid(kwargs[name], name)
            return view(request, *args, **kwargs)
        except InvalidInput as exc:  # PS3.18 answers a malformed query with 400
            return _error(400, exc.code, exc.message)
        except DomainError as exc:
            return _error(exc.status, exc.code, exc.message)
        except wado.NotAcceptable as exc:
            return _error(406, "not_acceptable", str(exc))
        except render.Undecodable as exc:
            return _error(422, "undecodable", str(exc))
        except budget.OverBudget as exc:
            return _error(422, "over_budget", exc.message)
        except render.RenderError as exc:
            return _error(400, "invalid_input", str(exc))
        except LookupError as exc:
            return _error(404, "not_found", str(exc))
        except ValueError as exc:
            return _error(400, "invalid_input", str(exc))
        except (store.BlobMissing, DecryptionError):
            log.exception("stored instance unreadable")
            return _error(503, "storage_unavailable", "a stored instance cannot be read")

    @csrf_exempt
    @functools.wraps(view)
    async def wrapper(request, *args, **kwargs):
        if request.method not in allowed:
            response = _error(405, "method_not_allowed", f"{request.method} is not supported")
            response["Allow"] = ", ".join(allowed)
            return response
        return await offload(handle)(request, *args, **kwargs)

    return wrapper


def _base(request) -> str:
    return request.build_absolute_uri("/dicomweb").rstrip("/")


def _json(data, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data), status=status, content_type=DICOM_JSON)


def _multipart(parts, kind: str) -> StreamingHttpResponse:
    """Streamed asynchronously: each part is read and decrypted on the imaging pool."""
    boundary = multipart.new_boundary()

    async def body():
        async for content_type, data in steps(iter(parts)):
            for chunk in multipart.encode_part(content_type, data, boundary):
                yield chunk
        yield multipart.closing(boundary)

    response = StreamingHttpResponse(body())
    response["Content-Type"] = f'multipart/related; type="{kind}"; boundary={boundary}'
    return response


# --- studies: QIDO search (GET) and STOW store (POST) ----------------------------------

@endpoint(post=True)
def studies(request):
    if request.method == "POST":
        return _stow(request, None)
    query = qido.normalise(request.GET)
    hold_for_test("qido")
    results = qido.search_studies(sharing.visible_studies(request.user), query, _base(request))
    _audit_search(request, "studies", len(results), results)
    return _json(results)


def _audit_search(request, level: str, count: int, results: list[dict]) -> None:
    uids = [r["0020000D"]["Value"][0] for r in results if "Value" in r.get("0020000D", {})]
    audit.record(request.user, "imaging.qido", object_type="imaging.study", object_id="*",
                 request=request, level=level, count=count,
                 query=qido.audited_query(request.GET),
                 studies=sorted(set(uids))[:100])


@endpoint(post=True)
def study(request, study_uid):
    if request.method == "POST":
        return _stow(request, study_uid)
    found = sharing.get_study(request.user, study_uid)
    instances = list(Instance.objects.filter(series__study=found).order_by(
        "series__series_number", "series_id", "instance_number", "id"))
    return _retrieve(request, found, instances, "study")


def _stow(request, study_uid):
    """Authenticated (``endpoint``) and authorised before a byte of the body is read; the
    body then streams part by part into ingest under the STOW limits."""
    staff = staff_of(request.user)
    if staff is None:
        raise NotAllowed(gettext("storing needs a staff account at an institution"))
    too_large = budget.body_refusal(request.META, "DICOMWEB_MAX_STOW_BYTES")
    if too_large is not None:
        return _error(413, "too_large", too_large.message)
    kind, _ = multipart.media_params(request.META.get("CONTENT_TYPE", ""))
    if kind != "multipart/related":
        return _error(415, "unsupported_media_type",
                      'send multipart/related; type="application/dicom"')
    # request.read(), not request.body: the body limit for forms does not fit DICOM.
    parts = multipart.iter_parts(
        multipart.LimitedReader(request, "DICOMWEB_MAX_STOW_BYTES"),
        request.META.get("CONTENT_TYPE", ""), max_parts=settings.DICOMWEB_MAX_STOW_PARTS,
        max_part_bytes=settings.IMAGING_MAX_INSTANCE_BYTES)
    try:
        result = stow.store_parts(parts, institution=staff.institution,
                                  sender=request.user.get_username(), base_url=_base(request),
                                  study_uid=study_uid)
    except multipart.MultipartError as exc:
        return _error(415, "unsupported_media_type",
                      f'send multipart/related; type="application/dicom" ({exc})')
    except budget.OverBudget as exc:
        return _error(413, "too_large", exc.message)
    audit.record(request.user, "imaging.stow", object_type="imaging.study",
                 object_id=study_uid or "*", request=request, stored=len(result.stored),
                 failed=len(result.failed))
    url = f"{_base(request)}/studies/{study_uid}" if study_uid else ""
    return _json(result.response(url), status=result.status)


def _retrieve(request, study_obj, instances, level):
    wado.check_instances_acceptable(request.META.get("HTTP_ACCEPT", ""), instances)
    sharing.read(request.user, "imaging.wado", study_obj, request=request, level=level,
                 instances=len(instances))
    return _multipart(wado.instance_parts(instances), "application/dicom")


@endpoint
def study_metadata(request, study_uid):
    found = sharing.get_study(request.user, study_uid)
    instances = list(Instance.objects.select_related("series__study").filter(
        series__study=found).order_by("series_id", "instance_number", "id"))
    sharing.read(request.user, "imaging.metadata", found, request=request, level="study")
    return _json(wado.metadata(instances, _base(request)))


# --- series ------------------------------------------------------------------------------

@endpoint
def study_series(request, study_uid):
    found = sharing.get_study(request.user, study_uid)
    results = qido.search_series(found, qido.normalise(request.GET), _base(request))
    sharing.read(request.user, "imaging.qido", found, request=request, level="series",
                 count=len(results))
    return _json(results)


@endpoint
def series(request, study_uid, series_uid):
    found = sharing.get_series(request.user, study_uid, series_uid)
    return _retrieve(request, found.study, list(found.instances.all()), "series")


@endpoint
def series_metadata(request, study_uid, series_uid):
    found = sharing.get_series(request.user, study_uid, series_uid)
    sharing.read(request.user, "imaging.metadata", found.study, request=request,
                 level="series", series=series_uid)
    return _json(wado.metadata(list(found.instances.select_related("series__study")),
                               _base(request)))


@endpoint
def series_thumbnail(request, study_uid, series_uid):
    found = sharing.get_series(request.user, study_uid, series_uid)
    instances = list(found.instances.all())
    if not instances:
        return _error(404, "not_found", "the series has no instances")
    middle = instances[len(instances) // 2]
    return _rendered(request, found.study, middle, 0, thumbnail=True)


@endpoint
def series_instances(request, study_uid, series_uid):
    found = sharing.get_series(request.user, study_uid, series_uid)
    results = qido.search_instances(found, qido.normalise(request.GET), _base(request))
    sharing.read(request.user, "imaging.qido", found.study, request=request,
                 level="instances", count=len(results))
    return _json(results)


@endpoint
def study_instances(request, study_uid):
    found = sharing.get_study(request.user, study_uid)
    results = qido.search_study_instances(found, qido.normalise(request.GET), _base(request))
    sharing.read(request.user, "imaging.qido", found, request=request, level="instances",
                 count=len(results))
    return _json(results)


# --- instances ----------------------------------------------------------------------------

@endpoint
def instance(request, study_uid, series_uid, sop_uid):
    found = sharing.get_instance(request.user, study_uid, series_uid, sop_uid)
    return _retrieve(request, found.series.study, [found], "instance")


@endpoint
def instance_metadata(request, study_uid, series_uid, sop_uid):
    found = sharing.get_instance(request.user, study_uid, series_uid, sop_uid)
    sharing.read(request.user, "imaging.metadata", found.series.study, request=request,
                 level="instance", instance=sop_uid)
    return _json(wado.metadata([found], _base(request)))


@endpoint
def frames(request, study_uid, series_uid, sop_uid, frame_list):
    found = sharing.get_instance(request.user, study_uid, series_uid, sop_uid)
    numbers = wado.parse_frame_list(frame_list, found.number_of_frames)
    wado.check_frames_budget(found, len(numbers))
    parts = wado.frame_parts(found, numbers, request.META.get("HTTP_ACCEPT", ""))
    sharing.read(request.user, "imaging.frames", found.series.study, request=request,
                 instance=sop_uid, frames=frame_list)
    kind = parts[0][0].split(";")[0] if parts else "application/octet-stream"
    return _multipart(parts, kind)


@endpoint
def instance_rendered(request, study_uid, series_uid, sop_uid):
    found = sharing.get_instance(request.user, study_uid, series_uid, sop_uid)
    return _rendered(request, found.series.study, found, 0)


@endpoint
def instance_thumbnail(request, study_uid, series_uid, sop_uid):
    found = sharing.get_instance(request.user, study_uid, series_uid, sop_uid)
    return _rendered(request, found.series.study, found, 0, thumbnail=True)


@endpoint
def frame_rendered(request, study_uid, series_uid, sop_uid, frame_list):
    found = sharing.get_instance(request.user, study_uid, series_uid, sop_uid)
    numbers = wado.parse_frame_list(frame_list, found.number_of_frames)
    if len(numbers) != 1:
        raise InvalidInput(gettext("render one frame at a time"))
    return _rendered(request, found.series.study, found, numbers[0] - 1)


def _rendered(request, study_obj, found, frame: int, thumbnail: bool = False):
    accept = request.META.get("HTTP_ACCEPT", "") or "image/jpeg"
    kinds = [kind for kind, _ in wado.accepted(accept)]
    fmt = next((k.split("/")[1] for k in kinds if k in ("image/png", "image/jpeg")), None)
    if fmt is None:
        if not {"*/*", "image/*", "*"} & set(kinds):
            raise wado.NotAcceptable("rendered images are image/png or image/jpeg")
        fmt = "jpeg"
    params = request.GET.copy()
    if thumbnail and not params.get("viewport"):
        params["viewport"] = "128,128"
    options = render.parse_options(params, fmt=fmt, frame=frame)
    if frame >= found.number_of_frames:
        raise LookupError(f"frame {frame + 1} does not exist")
    # Before loading (a Deflated data set inflates on load); samples are checked once the
    # data set is parsed, before its pixels are decoded (render.render).
    render.check_budget(found.rows or 0, found.columns or 0, 1, found.bits_allocated or 8,
                        found.number_of_frames, found.size,
                        found.transfer_syntax_uid not in validate.NATIVE_SYNTAXES)
    data = render.render_cached(found.blob_key, lambda: wado.load(found), options)
    sharing.read(request.user, "imaging.render", study_obj, request=request,
                 instance=found.sop_instance_uid, frame=frame + 1, thumbnail=thumbnail)
    response = HttpResponse(data, content_type=render.MEDIA_TYPES[fmt])
    response["Cache-Control"] = "private, max-age=300"
    return response
