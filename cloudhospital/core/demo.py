"""Demo orchestration: run each installed app's ``demo.seed_demo(password)`` in app order.

The core imports no app: it finds ``<app>.demo`` through the app registry, so a new
workflow joins the demo by shipping a ``demo.py`` with ``seed_demo``.
"""

from __future__ import annotations

import importlib
import importlib.util
import secrets

from django.apps import apps


def seed(password: str | None = None) -> tuple[bool, str]:
    """Create the demo world. Returns (created_now, password used for new accounts)."""
    password = password or secrets.token_urlsafe(9)
    created = False
    for config in apps.get_app_configs():
        name = f"{config.name}.demo"
        if importlib.util.find_spec(name) is None:
            continue
        seed_app = getattr(importlib.import_module(name), "seed_demo", None)
        if seed_app is not None:  # (this module has no seed_demo of its own)
            created = bool(seed_app(password)) or created
    return created, password
