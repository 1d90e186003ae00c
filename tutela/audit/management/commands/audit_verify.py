"""manage.py audit_verify: recompute the access log's chain and checkpoints; exit 1 if wrong."""

from __future__ import annotations

import os
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tutela.audit.signing import SigningKeyError, parse_public_key
from tutela.audit.verify import audit_verify, describe


class Command(BaseCommand):
    help = (
        "Recompute the access log's hash chain in order and the Merkle root of every signed "
        "checkpoint, check the signatures, and report the first bad event and why. Exits 1 "
        "when anything is wrong."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--public-key",
            action="append",
            default=[],
            metavar="KEY",
            help="Also trust this public key (base64, C2SP verifier key or PEM file path); "
            "repeat for retired keys. Lets someone without the private key verify.",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="Processes checking the stretches between signed checkpoints side by side "
            "(default: one per CPU; 1 checks in this process).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        keys = []
        for given in options["public_key"]:
            text = given
            if given.startswith(("/", ".")):
                try:
                    with open(given, encoding="utf-8") as handle:
                        text = handle.read()
                except OSError as exc:
                    raise CommandError(f"--public-key {given}: {exc}") from exc
            try:
                keys.append(parse_public_key(text))
            except SigningKeyError as exc:
                raise CommandError(f"--public-key: {exc}") from exc
        started = time.perf_counter()
        report = audit_verify(public_keys=keys, workers=max(1, options["workers"]))
        elapsed = time.perf_counter() - started
        for line in describe(report):
            self.stdout.write(line)
        self.stdout.write(f"checked in {elapsed:.2f} s")
        if not report.ok:
            raise CommandError("the access log does not verify", returncode=1)
