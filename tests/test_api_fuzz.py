"""An OpenAPI-driven fuzz of the whole API against a live platform: no input gives a 500,
and every answer conforms to the document.

schemathesis reads /api/v1/openapi.json from a real daphne on loopback and sends generated
requests (valid and invalid) as the demo clinic doctor and specialist. Besides "no server
error" it checks that each status code is declared for its operation, that the content type
and the body match the declared response schema (booleans, RFC 3339 times and dates ...).
"""

import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import LivePlatform

pytestmark = pytest.mark.live
EXAMPLES = "25"
CHECKS = ",".join(["not_a_server_error", "status_code_conformance", "content_type_conformance",
                   "response_schema_conformance"])


@pytest.fixture(scope="module")
def fuzzed_platform(tmp_path_factory):
    """A platform of its own: the fuzz really creates, cancels and schedules things, which
    must not change the demo data other live tests of the session rely on."""
    platform = LivePlatform(tmp_path_factory.mktemp("fuzz"), tag="fuzz").start()
    yield platform
    platform.stop()


@pytest.mark.parametrize("username", ["clinic_doctor", "specialist"])
def test_no_generated_request_causes_a_server_error_or_an_undocumented_answer(
        fuzzed_platform, username, tmp_path):
    token = fuzzed_platform.token(username)
    # The document's paths are absolute (/api/v1/...): the base URL is the site's root, or
    # every generated request would go to /api/v1/api/v1/... and test nothing but a 404.
    with urllib.request.urlopen(fuzzed_platform.url + "/api/v1/openapi.json") as response:
        paths = json.load(response)["paths"]
    assert paths and all(path.startswith("/api/v1/") for path in paths)
    st = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    result = subprocess.run(
        [st, "run", fuzzed_platform.url + "/api/v1/openapi.json",
         "--url", fuzzed_platform.url,
         "--checks", CHECKS, "--max-examples", EXAMPLES,
         "--header", f"Authorization: Bearer {token}", "--seed", "20261125",
         "--request-timeout", "20", "--suppress-health-check", "all",
         "--no-color"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert " passed" in output and "Loaded specification" in output, output[-3000:]
