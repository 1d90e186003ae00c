"""Find personal data in free text (emails, call notes), so exports can list it and erasure can
redact it.

presidio-analyzer with pattern recognizers only: no spaCy model is needed or loaded
(`NoOpNlpEngine`), so names in running text are not found; what is found is what has a shape
(email addresses, UK phone numbers, card numbers, IBANs, IP addresses, URLs, National Insurance
numbers, postcodes). The engine is built once per process, on first use: importing presidio costs
seconds, which no page or command that never scans should pay.

Offline: presidio's email recognizer checks domains with tldextract, whose default extractor
downloads the Public Suffix List on first use. Ours is built with no URLs and no cache, so it
uses the snapshot bundled with tldextract and never opens a connection (tests/test_scan.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

LANGUAGE = "en"
# Presidio's own scores: 0.1 for a bare postcode shape, up to 1.0 for a checksummed card or IBAN.
# Everything is kept: for erasure, redacting a false positive costs little, missing data costs
# much; an export shows each finding's score.
SCORE_THRESHOLD = 0.0


class Finding(TypedDict):
    """One stretch of text that looks like personal data: what kind, where, how sure."""

    entity_type: str
    start: int
    end: int
    score: float


_lock = threading.Lock()
_engine: AnalyzerEngine | None = None


def _build_engine() -> AnalyzerEngine:
    """The analyzer with the no-op NLP engine and our pattern recognizers."""
    # Presidio logs at INFO for every finding ("Skipping context extraction ..."); under our
    # INFO root logger that would flood the import's output and the web logs.
    logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)
    import tldextract
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        UkNinoRecognizer,
        UkPostcodeRecognizer,
        UrlRecognizer,
    )

    # No suffix-list URLs and no cache directory: the bundled snapshot, no network, no files.
    offline_tld = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())

    class OfflineEmailRecognizer(EmailRecognizer):
        """Presidio's email recognizer, checking domains with the offline extractor."""

        def validate_result(self, pattern_text: str) -> bool:
            return offline_tld(pattern_text).fqdn != ""

    nlp_engine = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "no_op",
            "models": [{"lang_code": LANGUAGE, "model_name": "none"}],
        }
    ).create_engine()
    registry = RecognizerRegistry(
        recognizers=[
            OfflineEmailRecognizer(),
            # Our customers are in the UK; numbers written in international form are found
            # for any country.
            PhoneRecognizer(supported_regions=("GB",)),
            CreditCardRecognizer(),
            IbanRecognizer(),
            IpRecognizer(),
            UrlRecognizer(),
            UkNinoRecognizer(),
            UkPostcodeRecognizer(),
        ],
        supported_languages=[LANGUAGE],
    )
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=[LANGUAGE])


def analyzer() -> AnalyzerEngine:
    """The process's one analyzer, built on first use."""
    global _engine
    engine = _engine
    if engine is None:
        with _lock:
            engine = _engine
            if engine is None:
                engine = _engine = _build_engine()
    return engine


def _drop_nested(findings: list[Finding]) -> list[Finding]:
    """Drop findings inside a longer (or equally long, surer) one: the domain of an email
    address is also a URL, but the address is what is there."""
    ranked = sorted(findings, key=lambda f: (f["start"], -(f["end"] - f["start"]), -f["score"]))
    kept: list[Finding] = []
    for finding in ranked:
        if any(k["start"] <= finding["start"] and finding["end"] <= k["end"] for k in kept):
            continue
        kept.append(finding)
    return kept


def findings_for(text: str) -> list[Finding]:
    """What in `text` looks like personal data, in order of position; [] for empty text."""
    if not text or not text.strip():
        return []
    results = analyzer().analyze(text=text, language=LANGUAGE, score_threshold=SCORE_THRESHOLD)
    findings: list[Finding] = [
        {
            "entity_type": str(result.entity_type),
            "start": int(result.start),
            "end": int(result.end),
            "score": round(float(result.score), 2),
        }
        for result in results
    ]
    return _drop_nested(findings)


def findings_for_fields(texts: Mapping[str, str]) -> dict[str, list[Finding]]:
    """{field name: findings} for the fields of a record, leaving out fields with none."""
    found = {name: findings_for(text) for name, text in texts.items()}
    return {name: items for name, items in found.items() if items}


def _merged(findings: Iterable[Mapping[str, Any]], length: int) -> list[tuple[int, int, str]]:
    """Spans clipped to the text and merged where they overlap, each with the first kind."""
    spans = sorted(
        (max(0, int(f["start"])), min(length, int(f["end"])), str(f["entity_type"]))
        for f in findings
    )
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in spans:
        if start >= end:
            continue
        if merged and start < merged[-1][1]:
            last_start, last_end, last_kind = merged[-1]
            merged[-1] = (last_start, max(last_end, end), last_kind)
        else:
            merged.append((start, end, kind))
    return merged


def redact(text: str, findings: Sequence[Mapping[str, Any]]) -> str:
    """`text` with each finding replaced by its kind in brackets, e.g. "[EMAIL_ADDRESS]".

    Overlapping findings are redacted as one; positions outside the text are ignored, so stale
    findings cannot make it fail (they can only redact too little, never raise).
    """
    parts: list[str] = []
    position = 0
    for start, end, kind in _merged(findings, len(text)):
        parts.append(text[position:start])
        parts.append(f"[{kind}]")
        position = end
    parts.append(text[position:])
    return "".join(parts)
