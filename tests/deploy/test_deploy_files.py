"""The deployment files agree with the code: every setting documented, production refusals
honoured by the template and the units, unit commands that exist, nginx configs nginx accepts."""

from __future__ import annotations

import ast
import base64
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ENV_READERS = {"envstr", "envbool", "envint", "envlist"}
SECRETS = {"SECRET_KEY", "ENCRYPTION_KEYS", "LOOKUP_HASH_KEY", "TURN_SECRET"}


def settings_variables() -> set[str]:
    """Every NAME that cloudhospital/settings.py reads with env*("NAME", ...)."""
    tree = ast.parse((ROOT / "cloudhospital" / "settings.py").read_text())
    return {node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ENV_READERS and node.args
            and isinstance(node.args[0], ast.Constant)}


def env_example() -> dict[str, str]:
    """Documented variables: ``NAME=value`` lines, and ``# NAME=value`` for commented ones."""
    found = {}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        match = re.match(r"^(?:# )?([A-Z][A-Z0-9_]+)=(.*)$", line)
        if match:
            found.setdefault(match.group(1), match.group(2))
    return found


def active_example() -> dict[str, str]:
    lines = (DEPLOY / "env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z][A-Z0-9_]+=", line))


def test_env_example_documents_every_setting():
    names = settings_variables()
    assert len(names) > 30  # the parser found the settings, not nothing
    missing = names - set(env_example())
    assert not missing, f"add these to deploy/env.example with their meaning: {sorted(missing)}"
    stale = set(env_example()) - names
    assert not stale, f"deploy/env.example lists variables settings.py never reads: {stale}"


def _import_settings(env: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in env_example()
             and not k.endswith("_FILE")}
    env = {**clean, **env, "DATA_DIR": str(tmp_path), "IMAGE_STORE_DIR": str(tmp_path / "i")}
    return subprocess.run([sys.executable, "-c", "import cloudhospital.settings"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


def test_the_template_as_shipped_is_refused_in_production(tmp_path):
    """Nothing secret ships, so a copied template must not start until secrets are given."""
    example = active_example()
    assert example["PRODUCTION"] == "true" and example["DEBUG"] == "false"
    assert all(example.get(name, "") == "" for name in SECRETS)
    result = _import_settings(example, tmp_path)
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr
    for problem in ("SECRET_KEY", "ENCRYPTION_KEYS", "LOOKUP_HASH_KEY"):
        assert problem in result.stderr


def test_the_template_starts_in_production_once_secrets_are_given_as_files(tmp_path):
    """The units' way: SECRET_KEY_FILE and friends (systemd LoadCredential=)."""
    files = {
        "SECRET_KEY": "s" * 50,
        "ENCRYPTION_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
        "LOOKUP_HASH_KEY": "l" * 43,
        "TURN_SECRET": "t" * 64,
    }
    env = active_example()
    for name, value in files.items():
        (tmp_path / name.lower()).write_text(value + "\n")
        env[f"{name}_FILE"] = str(tmp_path / name.lower())
    code = ("import cloudhospital.settings as s; "
            "print(s.PRODUCTION, s.DEBUG, s.SESSION_COOKIE_SECURE, len(s.SECRET_KEY), "
            "s.CHANNEL_LAYERS['default']['BACKEND'])")
    clean = {k: v for k, v in os.environ.items() if k not in env_example()}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=False,
                            env={**clean, **env, "DATA_DIR": str(tmp_path),
                                 "IMAGE_STORE_DIR": str(tmp_path / "i")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "True", "50",
                                     "channels_redis.pubsub.RedisPubSubChannelLayer"]


def test_the_redis_client_outwaits_the_channel_layers_blocking_read():
    """redis-py 8 reads with a 5 s timeout by default; channels_redis blocks 5 s on an idle
    channel, so the shipped REDIS_URL must give the client longer (else sockets die, 1011)."""
    from urllib.parse import parse_qs, urlparse

    from channels_redis.core import RedisChannelLayer

    for url in (active_example()["REDIS_URL"], "redis://127.0.0.1:6379/0"):
        if url.endswith("/0"):  # what deploy/local-cluster makes of a bare URL
            script = (DEPLOY / "local-cluster").read_text()
            assert 'REDIS="$REDIS?socket_timeout=15"' in script
            url += "?socket_timeout=15"
        timeout = float(parse_qs(urlparse(url).query)["socket_timeout"][0])
        assert timeout > RedisChannelLayer.brpop_timeout


def units() -> dict[str, str]:
    return {p.name: p.read_text() for p in (DEPLOY / "systemd").glob("*.service")}


def test_every_unit_runs_in_production_mode_with_its_secrets_from_credentials():
    assert set(units()) == {"cloudhospital-daphne@.service", "cloudhospital-worker@.service",
                            "cloudhospital-dicom.service", "cloudhospital-migrate.service"}
    for name, text in units().items():
        assert "Environment=PRODUCTION=true DEBUG=false" in text, name
        assert "EnvironmentFile=/etc/cloudhospital/env" in text, name
        for secret in SECRETS:
            assert f"{secret}_FILE=%d/{secret.lower()}" in text, (name, secret)
            assert f"LoadCredential={secret.lower()}:" in text, (name, secret)


def test_units_and_compose_call_commands_that_exist():
    from django.core.management import get_commands

    commands = set(get_commands())
    texts = [*units().values(), (DEPLOY / "docker-compose.yml").read_text(),
             (DEPLOY / "local-cluster").read_text()]
    used = {m for text in texts for m in re.findall(r"manage\.py\"? (\w+)", text)}
    assert {"migrate", "collectstatic", "db_worker", "dicom_listener"} <= used
    assert used <= commands, f"not management commands: {used - commands}"
    daphne = units()["cloudhospital-daphne@.service"]
    assert "--bind 127.0.0.1 --port %i " in daphne
    # X-Forwarded-For is the application's business (TRUSTED_PROXIES), not daphne's.
    assert "--proxy-headers" not in daphne
    worker = units()["cloudhospital-worker@.service"]
    assert "db_worker --queue-name *" in worker


def test_the_coturn_secret_scheme_matches_the_credentials_daphne_hands_out():
    conf = (DEPLOY / "coturn" / "turnserver.conf").read_text()
    assert re.search(r"^use-auth-secret$", conf, re.M)
    assert re.search(r"^static-auth-secret=REPLACE-WITH-TURN_SECRET$", conf, re.M)
    assert re.search(r"^denied-peer-ip=127\.0\.0\.0-127\.255\.255\.255$", conf, re.M)
    assert "use-auth-secret" in (ROOT / "signaling" / "ice.py").read_text()


@pytest.mark.skipif(not Path("/usr/sbin/nginx").exists(),
                    reason="nginx is not installed (scripts/system-deps.sh installs it)")
def test_nginx_accepts_the_production_site(tmp_path):
    """The shipped site, with only its paths moved into a scratch prefix, passes nginx -t."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=t",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    site = (DEPLOY / "nginx" / "cloudhospital.conf").read_text()
    site = (site.replace("/etc/ssl/cloudhospital/fullchain.pem", str(tmp_path / "cert.pem"))
            .replace("/etc/ssl/cloudhospital/privkey.pem", str(tmp_path / "key.pem"))
            .replace("/etc/nginx/cloudhospital-locations.conf",
                     str(DEPLOY / "nginx" / "cloudhospital-locations.conf")))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{\n access_log off;\n client_body_temp_path {tmp_path}/b;\n"
        f" proxy_temp_path {tmp_path}/p;\n fastcgi_temp_path {tmp_path}/f;\n"
        f" uwsgi_temp_path {tmp_path}/u;\n scgi_temp_path {tmp_path}/s;\n"
        f" include {tmp_path}/site.conf;\n}}\n")
    result = subprocess.run([shutil.which("nginx") or "/usr/sbin/nginx", "-t", "-q",
                             "-p", f"{tmp_path}/", "-c", str(tmp_path / "nginx.conf"),
                             "-e", str(tmp_path / "error.log")],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
