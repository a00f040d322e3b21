"""Import DICOM files, folders or zips: ``manage.py import_dicom --institution NAME PATH...``.

Every file goes through ``ingest.ingest_instance`` (source "import"); refused ones are
quarantined and listed at the end. Safe to re-run: stored instances are idempotent.
"""

from __future__ import annotations

from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from clinics.models import Institution
from imaging import sources
from imaging.ingest import ingest_instance
from imaging.models import RemoteAE, Source


class Command(BaseCommand):
    help = "Import DICOM files, folders or zip archives for an institution."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+")
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--institution", help="institution name or id that owns the images")
        who.add_argument("--ae", help="a registered AE title; its institution owns the images")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, paths, institution, ae, no_progress, verbosity, **options):
        owner = self._owner(institution, ae)
        counts: Counter[str] = Counter()
        refused = []
        bar = tqdm(total=sources.count_paths(paths), unit="file", disable=no_progress,
                   file=self.stderr)
        try:
            for name, data in sources.from_paths(paths):
                outcome = ingest_instance(data, institution=owner, source=Source.IMPORT,
                                          sender=f"import_dicom:{name}"[-150:])
                counts[outcome.status] += 1
                if not outcome.ok:
                    refused.append(f"{name}: {outcome.reason}: {outcome.message}")
                if verbosity >= 2:  # one line per file, written once its outcome is final
                    self.stdout.write(f"{outcome.status} {outcome.sop_instance_uid} {name}")
                    self.stdout.flush()
                bar.update(1)
        except (OSError, sources.TooLarge) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        for line in refused:
            self.stderr.write(f"quarantined {line}")
        self.stdout.write(f"stored {counts['stored']}, already present {counts['duplicate']}, "
                          f"quarantined {counts['quarantined']}")
        if refused:
            raise CommandError(f"{len(refused)} file(s) quarantined")

    def _owner(self, institution: str | None, ae: str | None) -> Institution:
        if ae:
            remote = RemoteAE.objects.select_related("institution").filter(ae_title=ae).first()
            if remote is None:
                raise CommandError(f"AE title {ae!r} is not registered")
            return remote.institution
        found = Institution.objects.filter(name=institution).first()
        if found is None and institution.isdigit():
            found = Institution.objects.filter(pk=int(institution)).first()
        if found is None:
            raise CommandError(f"no institution {institution!r}")
        return found
