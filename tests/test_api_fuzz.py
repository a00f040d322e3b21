"""An OpenAPI-driven fuzz of the whole API against a live platform: no input gives a 500.

schemathesis reads /api/v1/openapi.json from a real daphne on loopback and sends generated
requests (valid and invalid) as the demo clinic doctor and specialist.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.live
EXAMPLES = "25"


@pytest.mark.parametrize("username", ["clinic_doctor", "specialist"])
def test_no_generated_request_causes_a_server_error(platform_server, username, tmp_path):
    token = platform_server.token(username)
    st = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    result = subprocess.run(
        [st, "run", platform_server.url + "/api/v1/openapi.json",
         "--url", platform_server.url + "/api/v1",
         "--checks", "not_a_server_error", "--max-examples", EXAMPLES,
         "--header", f"Authorization: Bearer {token}", "--seed", "20261125",
         "--request-timeout", "20", "--suppress-health-check", "all",
         "--no-color"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert " passed" in output and "Loaded specification" in output, output[-3000:]
