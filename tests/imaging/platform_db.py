"""Read the live platform's imaging tables directly (SQLite file or PostgreSQL), so a test
can check the index without starting a Django process for every look."""

from __future__ import annotations

import sqlite3


def query(platform, sql: str) -> list[tuple]:
    url = platform.env.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url) as conn:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
    path = platform.data_dir / "cloudhospital.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=20) as conn:
        return conn.execute(sql).fetchall()


def counts(platform) -> dict:
    (instances,), = query(platform, "SELECT count(*) FROM imaging_instance")
    (studies,), = query(platform, "SELECT count(*) FROM imaging_study")
    quarantine = query(platform, "SELECT reason, sender FROM imaging_quarantineditem "
                                 "ORDER BY id")
    return {"instances": instances, "studies": studies,
            "quarantine": [list(row) for row in quarantine]}
