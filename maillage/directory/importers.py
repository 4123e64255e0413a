"""Import of data·inclusion (schema v1) structures and services into the directory.

Files
    JSON: one list of objects, ``[{…}, {…}]``, read as a stream (flat memory).
    CSV: a header naming the columns with the schema's field names (``id``, ``nom``,
    ``code_insee``…; unknown columns are ignored with a warning), comma, semicolon or tab
    separated. A list field (``thematiques``, ``publics``, ``modes_accueil``,
    ``zone_eligibilite``…) holds its values separated by ``|`` (``famille--garde-denfants|sante--
    accompagnement``) or a JSON array (``["femmes", "jeunes"]``). An empty cell is a missing value.
    Both must be UTF-8 (with or without a BOM). A file that is not UTF-8, not complete JSON or
    without the required CSV columns is refused as a whole, before anything is written: every
    file is read once (``scan_file``) before the import starts, which also gives the number of
    rows for the progress bar.

Rows
    Each row is validated with ``v1.Structure.model_validate`` / ``v1.Service.model_validate``,
    then checked further. A row is either imported whole or reported and skipped:

    * errors (row skipped): schema errors (missing ``id``, unknown thématique…), a SIRET whose
      check key is wrong, coordinates out of range, an (source, id) pair already met earlier in
      the same file (the later row is the one reported), a service whose (source, structure_id)
      is neither in the structures file nor in the directory;
    * warnings (row imported without the value): an INSEE code unknown to the territory
      referential (the commune is left empty; the address text is kept), opening hours that do
      not follow the OpenStreetMap syntax, a URL, e-mail or phone number our fields cannot hold,
      an eligibility zone code we cannot express, a text longer than our field (truncated).

    Without ``code_insee``, a postal code shared by a single commune gives the commune. Without
    coordinates, the commune's centroid places the entry on the map (as for entries typed in
    Maillage).

Mapping (data·inclusion → Maillage)
    Both: ``id``→``source_id``, ``nom``→``name``, ``adresse``→``address``,
    ``complement_adresse``→``address_complement``, ``code_postal``→``postal_code``,
    ``code_insee``→``commune``, ``telephone``→``phone``, ``courriel``→``email``,
    ``horaires_accueil``→``opening_hours``, ``lien_source``→``source_url``,
    ``date_maj``→``updated_at`` and ``confirmed_at`` (never moved backwards by a re-import).
    Structures: ``site_web``→``website``, ``accessibilite_lieu``→``accessibility_url``,
    ``reseaux_porteurs``→``networks``, ``siret``; a new structure belongs to the organisation with
    the same SIRET, if any, else to none (an organisation chosen in Maillage is kept).
    Services: ``structure_id``→``structure`` (same source), ``type`` (one value)→``types``,
    ``frais`` (one value)→``fees``, ``frais_precisions``→``fees_details``,
    ``publics_precisions``→``publics_details``, ``conditions_acces``→``access_conditions``,
    ``modes_accueil``→``reception_modes``, ``modes_mobilisation``→``referral_modes``,
    ``mobilisable_par``→``referral_by``, ``mobilisation_precisions``→``referral_details``,
    ``lien_mobilisation``→``referral_url``, ``contact_nom_prenom``→``contact_name``,
    ``zone_eligibilite``→``eligibility_zone`` (``france``/``99100`` → empty, i.e. everywhere; an
    EPCI → its communes; other countries dropped), ``volume_horaire_hebdomadaire``→``weekly_hours``,
    ``nombre_semaines``→``weeks``. The commune name (``commune``) comes from the referential.
    Maillage's own fields (languages, French-course details, activity…) are never touched.

Writes
    Upsert by (source, id): rows are handled by batches of ``BATCH_SIZE`` with one query to read
    the existing entries, one ``bulk_create`` and one ``bulk_update`` (of the changed fields
    only); values are compared first, so a second run of the same file changes nothing and
    counts every row as unchanged. If a batch fails in the database, its rows are retried one by
    one, each in its own savepoint, and the failing ones reported. Each batch commits on its
    own (an interrupted import keeps the finished batches; running it again completes it).
    Services get their ``search_text`` computed here and their ``search_vector`` refreshed per
    batch in one statement. Entries missing from a file are not deactivated.
    ``dry_run`` runs everything in one transaction rolled back at the end: the counts say what
    would happen, nothing is written. One audit entry (action ``other``, object type
    ``directory.import``) records each real run and its counts.
"""

from __future__ import annotations

import codecs
import csv
import functools
import json
import logging
import queue
import re
import threading
import types
import typing
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from itertools import islice
from pathlib import Path
from typing import IO, Any

import pydantic
from data_inclusion.schema import v1
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.validators import EmailValidator, URLValidator
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record
from maillage.organisations.models import Organisation
from maillage.organisations.validators import validate_siret
from maillage.territory.models import Commune
from maillage.territory.text import normalize_search

from .enums import THEMATIQUE_LABELS
from .indexing import VECTOR_SQL, merge_pending_lists, refresh_search_vectors, search_text_for
from .models import ImportJob, Service, Structure
from .validators import ZONE_CODE, validate_opening_hours

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
READ_CHUNK = 1 << 16
# A single JSON item bigger than this is refused rather than read into memory.
MAX_ITEM_CHARS = 2_000_000
JOB_MAX_MESSAGES = 500
FORMATS = ("json", "csv")


# --- Report ------------------------------------------------------------------------------


class ImportFileError(Exception):
    """The file cannot be read at all (encoding, JSON syntax, CSV header): nothing is imported."""

    def __init__(self, file: str, message: str) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file
        self.message = message


@dataclass(frozen=True)
class RowError:
    file: str
    row_number: int  # 1-based index in the JSON list; the line number in a CSV file
    id: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row_number} {self.id}: {self.reason}"


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0


@dataclass
class ImportReport:
    structures: Counts = field(default_factory=Counts)
    services: Counts = field(default_factory=Counts)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    def counts(self) -> dict[str, Any]:
        return {
            "structures": asdict(self.structures),
            "services": asdict(self.services),
            "warnings": len(self.warnings),
            "dry_run": self.dry_run,
        }


class RowProblem(Exception):
    """A row cannot be imported; the message is the reason shown to the user."""


# --- Files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportFile:
    """A file to import: its name in messages, how to open it (again) as bytes, its format."""

    name: str
    opener: Callable[[], IO[bytes]]
    format: str

    @staticmethod
    def format_of(filename: str) -> str:
        suffix = Path(filename).suffix.lower().lstrip(".")
        if suffix not in FORMATS:
            raise ImportFileError(Path(filename).name, _("Unknown file type: use a .json or .csv file."))
        return suffix

    @classmethod
    def from_path(cls, path: str | Path) -> ImportFile:
        path = Path(path)
        file_format = cls.format_of(path.name)
        if not path.is_file():
            raise ImportFileError(path.name, _("File not found."))
        return cls(name=path.name, opener=lambda: path.open("rb"), format=file_format)

    @classmethod
    def from_storage(cls, storage: Storage, name: str, display_name: str) -> ImportFile:
        return cls(name=display_name, opener=lambda: storage.open(name, "rb"), format=cls.format_of(display_name))

    def open(self) -> IO[bytes]:
        try:
            return self.opener()
        except OSError as error:
            raise ImportFileError(self.name, _("The file cannot be opened (%(error)s).") % {"error": error}) from error


def _decoded_chunks(raw: IO[bytes], file: str) -> Iterator[str]:
    """UTF-8 text of ``raw`` by chunks, without a leading BOM; a bad byte names its line."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lines_before = 1
    first = True
    while True:
        chunk = raw.read(READ_CHUNK)
        at_end = not chunk
        if first:
            while 0 < len(chunk) < len(codecs.BOM_UTF8):  # make sure a BOM is seen whole
                more = raw.read(READ_CHUNK)
                if not more:
                    break
                chunk += more
            chunk = chunk.removeprefix(codecs.BOM_UTF8)
            first = False
        pending = decoder.getstate()[0]
        try:
            text = decoder.decode(chunk, final=at_end)
        except UnicodeDecodeError as error:
            data = pending + chunk
            line = lines_before + data[: max(error.start, 0)].count(b"\n")
            raise ImportFileError(
                file,
                _(
                    "The file is not encoded in UTF-8 (unexpected byte on line %(line)s). "
                    "Save it as UTF-8 (“CSV UTF-8” in a spreadsheet) and send it again."
                )
                % {"line": line},
            ) from error
        lines_before += chunk.count(b"\n")
        if text:
            yield text
        if at_end:
            return


_WHITESPACE = re.compile(r"[ \t\r\n]*")


def _iter_json(file: ImportFile) -> Iterator[tuple[int, Any]]:
    """Items of the JSON list in ``file``, numbered from 1, parsed one at a time."""
    decoder = json.JSONDecoder()
    with file.open() as raw:
        chunks = _decoded_chunks(raw, file.name)
        buf = ""
        pos = 0
        eof = False
        base_line = 1  # line number of buf[0]

        def more() -> bool:
            nonlocal buf, pos, eof, base_line
            if eof:
                return False
            chunk = next(chunks, None)
            if chunk is None:
                eof = True
                return False
            if pos:
                base_line += buf.count("\n", 0, pos)
                buf = buf[pos:]
                pos = 0
            buf += chunk
            return True

        def skip_whitespace() -> None:
            nonlocal pos
            while True:
                match = _WHITESPACE.match(buf, pos)
                pos = match.end() if match else pos
                if pos < len(buf) or not more():
                    return

        def where(offset: int) -> dict[str, int]:
            line = base_line + buf.count("\n", 0, offset)
            column = offset - (buf.rfind("\n", 0, offset) + 1) + 1
            return {"line": line, "column": column}

        def invalid(offset: int, detail: str) -> ImportFileError:
            return ImportFileError(
                file.name,
                _("The file is not valid JSON (line %(line)s, column %(column)s: %(detail)s).")
                % {**where(offset), "detail": detail},
            )

        def truncated(row: int) -> ImportFileError:
            return ImportFileError(
                file.name,
                _("The JSON list ends unexpectedly after item %(row)s: the file seems truncated.") % {"row": row},
            )

        skip_whitespace()
        if pos >= len(buf):
            raise ImportFileError(file.name, _("The file is empty."))
        if buf[pos] != "[":
            raise ImportFileError(file.name, _("The file must contain a JSON list of objects: [{…}, {…}]."))
        pos += 1
        skip_whitespace()
        row = 0
        if pos < len(buf) and buf[pos] == "]":
            pos += 1
        else:
            while True:
                skip_whitespace()
                if pos >= len(buf):
                    raise truncated(row)
                while True:
                    try:
                        value, end = decoder.raw_decode(buf, pos)
                    except json.JSONDecodeError as error:
                        if len(buf) - pos > MAX_ITEM_CHARS:
                            raise invalid(error.pos, error.msg) from None
                        if more():
                            continue
                        if not buf[error.pos :].strip() or error.msg.startswith("Unterminated"):
                            raise truncated(row) from None
                        raise invalid(error.pos, error.msg) from None
                    if end == len(buf) and not isinstance(value, dict | list | str) and more():
                        continue  # a number may go on in the next chunk
                    break
                row += 1
                pos = end
                yield row, value
                skip_whitespace()
                if pos >= len(buf):
                    raise truncated(row)
                if buf[pos] == ",":
                    pos += 1
                    continue
                if buf[pos] == "]":
                    pos += 1
                    break
                raise invalid(pos, _("expected “,” or “]” after an item"))
        skip_whitespace()
        if pos < len(buf):
            raise invalid(pos, _("unexpected content after the list"))


def _lines(chunks: Iterable[str]) -> Iterator[str]:
    """Lines with their ending, as the csv module wants them (newline="")."""
    rest = ""
    for chunk in chunks:
        parts = (rest + chunk).split("\n")
        rest = parts.pop()
        for part in parts:
            yield part + "\n"
    if rest:
        yield rest


def _schema_fields(model: type[pydantic.BaseModel]) -> tuple[set[str], set[str]]:
    """(all field names, the names of list fields) of a data·inclusion model."""
    list_fields = set()
    for name, info in model.model_fields.items():
        annotation = info.annotation
        candidates = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
        if any(typing.get_origin(c) in (set, list) for c in candidates):
            list_fields.add(name)
    return set(model.model_fields), list_fields


def _csv_value(value: str, is_list: bool) -> Any:
    value = value.strip()
    if value == "":
        return None
    if not is_list:
        return value
    if value.startswith("["):
        try:
            items = json.loads(value)
        except json.JSONDecodeError:
            raise RowProblem(_("this list is not a valid JSON array: %(value)s") % {"value": value[:80]}) from None
        return items
    return [item.strip() for item in value.split("|") if item.strip()]


def _iter_csv(
    file: ImportFile, model: type[pydantic.BaseModel], *, source_given: bool, warn: Callable[[int, str], None] | None
) -> Iterator[tuple[int, Any]]:
    """Rows of a CSV file as dicts, numbered by the line where they start (the header is line 1)."""
    known, list_fields = _schema_fields(model)
    required = {name for name, info in model.model_fields.items() if info.is_required()}
    if source_given:
        required.discard("source")
    with file.open() as raw:
        lines = _lines(_decoded_chunks(raw, file.name))
        first = next(lines, "")
        if not first.strip():
            raise ImportFileError(file.name, _("The file is empty."))
        delimiter = max((",", ";", "\t"), key=first.count)
        reader = csv.reader(_prepend(first, lines), delimiter=delimiter)
        try:
            header = [name.strip() for name in next(reader)]
        except csv.Error as error:
            raise ImportFileError(
                file.name, _("The CSV header cannot be read (%(error)s).") % {"error": error}
            ) from None
        missing = sorted(required - set(header))
        if missing:
            raise ImportFileError(
                file.name,
                _("The CSV header must name the columns with the data·inclusion field names; missing: %(fields)s.")
                % {"fields": ", ".join(missing)},
            )
        unknown = [name for name in header if name not in known]
        if unknown and warn:
            warn(1, _("Columns ignored (not in the schema): %(columns)s.") % {"columns": ", ".join(unknown)})
        last_line = reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise ImportFileError(
                    file.name,
                    _("The CSV file cannot be read after line %(line)s (%(error)s).")
                    % {"line": last_line, "error": error},
                ) from None
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                yield (
                    line,
                    RowProblem(
                        _("this line has %(found)s cells, the header %(expected)s.")
                        % {"found": len(cells), "expected": len(header)}
                    ),
                )
                continue
            row: dict[str, Any] = {}
            try:
                for name, cell in zip(header, cells, strict=False):
                    if name in known:
                        value = _csv_value(cell, name in list_fields)
                        if value is not None:
                            row[name] = value
            except RowProblem as problem:
                yield line, problem
                continue
            yield line, row


def _prepend(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def iter_rows(
    file: ImportFile,
    model: type[pydantic.BaseModel],
    *,
    source_given: bool = False,
    warn: Callable[[int, str], None] | None = None,
) -> Iterator[tuple[int, Any]]:
    """(row number, row) pairs; a row is a dict, or a RowProblem for a CSV line that cannot be read."""
    if file.format == "json":
        return _iter_json(file)
    return _iter_csv(file, model, source_given=source_given, warn=warn)


def scan_file(file: ImportFile, model: type[pydantic.BaseModel], *, source_given: bool = False) -> int:
    """Read the whole file once and return its number of rows; ImportFileError if it is unreadable."""
    count = 0
    for _row in iter_rows(file, model, source_given=source_given):
        count += 1
    return count


# --- Checks and mapping ------------------------------------------------------------------

_URL = URLValidator(schemes=["http", "https"])
_EMAIL = EmailValidator()


def _reason(error: pydantic.ValidationError) -> str:
    """A short reason per field (the schema's own messages, but unknown values named, not listed)."""
    by_field: dict[str, list[Any]] = {}
    for item in error.errors(include_url=False):
        name = str(item["loc"][0]) if item["loc"] else "?"
        by_field.setdefault(name, []).append(item)
    parts = []
    for name, items in by_field.items():
        enums = [item for item in items if item["type"] == "enum"]
        if enums:
            values = ", ".join(repr(item["input"]) for item in enums)
            parts.append(_("%(field)s: unknown value %(values)s") % {"field": name, "values": values})
        elif items[0]["type"] == "missing":
            parts.append(_("%(field)s: required") % {"field": name})
        elif len(items) > 1 and len(items[0]["loc"]) > 1:
            values = ", ".join(sorted({repr(item["input"]) for item in items}))
            parts.append(_("%(field)s: invalid value %(values)s") % {"field": name, "values": values})
        else:
            message = str(items[0]["msg"]).removeprefix("Value error, ")
            parts.append(f"{name}: {message}")
    return "; ".join(parts)


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _text(value: str | None) -> str:
    return (value or "").strip()


def _sorted(values: Iterable[Any] | None) -> list[str]:
    return sorted(str(getattr(v, "value", v)) for v in values or ())


@dataclass
class _Place:
    name: str
    latitude: float | None
    longitude: float | None
    postal_code: str


class _Referential:
    """What the rows are checked against, read once per import (a few MB for all of France).

    Only read after its creation (the opening-hours cache aside), by the reading thread.
    """

    def __init__(self) -> None:
        self.communes: dict[str, _Place] = {}
        by_postal: dict[str, list[str]] = {}
        self._epci: dict[str, list[str]] = {}
        for code, name, lat, lon, postal_codes, epci in Commune.objects.order_by("code").values_list(
            "code", "name", "latitude", "longitude", "postal_codes", "epci_id"
        ):
            self.communes[code] = _Place(name, lat, lon, postal_codes[0] if postal_codes else "")
            for postal in postal_codes:
                by_postal.setdefault(postal, []).append(code)
            if epci:
                self._epci.setdefault(epci, []).append(code)
        self.single_commune_by_postal = {p: codes[0] for p, codes in by_postal.items() if len(codes) == 1}
        self.organisation_by_siret = dict(
            Organisation.objects.exclude(siret="").values_list("siret", "pk")  # type: ignore[arg-type]
        )
        self._hours: dict[str, bool] = {}

    def epci_communes(self, code: str) -> list[str]:
        return self._epci.get(code, [])

    def hours_valid(self, value: str) -> bool:
        if value not in self._hours:
            try:
                validate_opening_hours(value)
            except ValidationError:
                self._hours[value] = False
            else:
                self._hours[value] = True
        return self._hours[value]


class _Row:
    """Maps one validated row to model values, collecting warnings."""

    def __init__(self, ref: _Referential, model: type[models.Model]) -> None:
        self.ref = ref
        self.model = model
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def max_length(self, name: str) -> int | None:
        return self.model._meta.get_field(name).max_length  # type: ignore[union-attr]

    def text(self, name: str, value: str | None, label: str) -> str:
        value = _text(value)
        limit = self.max_length(name)
        if limit and len(value) > limit:
            self.warn(_("%(field)s is longer than %(limit)s characters: truncated.") % {"field": label, "limit": limit})
            value = value[:limit]
        return value

    def url(self, name: str, raw: Any, label: str) -> str:
        value = _text(str(raw)) if raw else ""
        if not value:
            return ""
        limit = self.max_length(name)
        try:
            _URL(value)
            if limit and len(value) > limit:
                raise ValidationError("too long")
        except ValidationError:
            self.warn(_("%(field)s: this link cannot be kept, left empty.") % {"field": label})
            return ""
        return value

    def email(self, value: str | None) -> str:
        value = _text(value)
        if value:
            try:
                _EMAIL(value)
            except ValidationError:
                self.warn(_("courriel: this address cannot be kept, left empty."))
                return ""
        return value

    def phone(self, value: str | None) -> str:
        value = _text(value)
        limit = self.max_length("phone") or 0
        if len(value) > limit:
            self.warn(_("telephone: longer than %(limit)s characters, left empty.") % {"limit": limit})
            return ""
        return value

    def place(self, item: Any, raw: dict[str, Any]) -> dict[str, Any]:
        """Address, commune, coordinates, phone, e-mail and opening hours (shared by both models)."""
        lat, lon = item.latitude, item.longitude
        if (lat is None) != (lon is None):
            self.warn(_("Only one of latitude and longitude is given: both ignored."))
            lat = lon = None
        if lat is not None and not -90 <= lat <= 90:
            raise RowProblem(_("latitude %(value)s is out of range (-90 to 90)") % {"value": lat})
        if lon is not None and not -180 <= lon <= 180:
            raise RowProblem(_("longitude %(value)s is out of range (-180 to 180)") % {"value": lon})
        code = item.code_insee
        postal_code = item.code_postal or ""
        if code and code not in self.ref.communes:
            self.warn(_("Unknown commune code %(code)s: commune left empty.") % {"code": code})
            code = None
        if not code and postal_code:
            code = self.ref.single_commune_by_postal.get(postal_code)
        if code:
            commune = self.ref.communes[code]
            if lat is None and commune.latitude is not None:
                lat, lon = commune.latitude, commune.longitude
            postal_code = postal_code or commune.postal_code
        hours = _text(item.horaires_accueil)
        if hours and not self.ref.hours_valid(hours):
            self.warn(_("horaires_accueil does not follow the OpenStreetMap syntax: left empty."))
            hours = ""
        elif len(hours) > (self.max_length("opening_hours") or 0):
            self.warn(_("horaires_accueil is too long: left empty."))
            hours = ""
        return {
            "address": self.text("address", item.adresse, "adresse"),
            "address_complement": self.text("address_complement", item.complement_adresse, "complement_adresse"),
            "postal_code": postal_code,
            "commune_id": code or None,
            "latitude": lat,
            "longitude": lon,
            "phone": self.phone(item.telephone),
            "email": self.email(item.courriel),
            "opening_hours": hours,
            "source_url": self.url("source_url", raw.get("lien_source"), "lien_source"),
            "updated_at": _midnight(item.date_maj),
            "confirmed_at": _midnight(item.date_maj),
        }

    def zone(self, codes: list[str] | None) -> list[str]:
        result: list[str] = []
        for code in codes or ():
            code = str(code).upper() if len(str(code)) < 5 else str(code)
            if code.lower() in ("france", "99100"):
                return []  # everywhere
            if len(code) == 9 and code.isdigit():
                communes = self.ref.epci_communes(code)
                if communes:
                    result.extend(communes)
                else:
                    self.warn(_("zone_eligibilite: unknown EPCI %(code)s ignored.") % {"code": code})
            elif ZONE_CODE.match(code) and not code.startswith("99"):
                result.append(code)
            else:
                self.warn(_("zone_eligibilite: code %(code)s ignored.") % {"code": code})
        return sorted(set(result))


def _prepare_raw(raw: Any, source: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise RowProblem(_("this item is not a JSON object"))
    # PostgreSQL text cannot hold NUL characters, and they never mean anything in these fields.
    row = {
        key: value.replace("\x00", "") if isinstance(value, str) and "\x00" in value else value
        for key, value in raw.items()
    }
    if source:
        row["source"] = source
    for key in ("id", "structure_id", "source"):
        if isinstance(row.get(key), int | float) and not isinstance(row.get(key), bool):
            row[key] = str(row[key])
    return row


def structure_values(raw: Any, ref: _Referential, source: str = "") -> tuple[dict[str, Any], list[str]]:
    """Model values for one data·inclusion structure; RowProblem if it cannot be imported."""
    row = _prepare_raw(raw, source)
    try:
        item = v1.Structure.model_validate(row)
    except pydantic.ValidationError as error:
        raise RowProblem(_reason(error)) from None
    if item.siret:
        try:
            validate_siret(item.siret)
        except ValidationError as error:
            raise RowProblem(f"siret: {error.messages[0]}") from None
    mapper = _Row(ref, Structure)
    values = {
        "source": item.source.strip(),
        "source_id": item.id.strip(),
        "name": item.nom.strip(),
        "description": _text(item.description),
        "siret": item.siret or "",
        "website": mapper.url("website", row.get("site_web"), "site_web"),
        "accessibility_url": mapper.url("accessibility_url", row.get("accessibilite_lieu"), "accessibilite_lieu"),
        "networks": _sorted(item.reseaux_porteurs),
        **mapper.place(item, row),
    }
    _check_keys(values)
    return values, mapper.warnings


def service_values(raw: Any, ref: _Referential, source: str = "") -> tuple[dict[str, Any], list[str]]:
    """Model values for one data·inclusion service, without its structure (see _ServiceImporter)."""
    row = _prepare_raw(raw, source)
    try:
        item = v1.Service.model_validate(row)
    except pydantic.ValidationError as error:
        raise RowProblem(_reason(error)) from None
    mapper = _Row(ref, Service)
    values = {
        "source": item.source.strip(),
        "source_id": item.id.strip(),
        "structure_source_id": item.structure_id.strip(),
        "name": item.nom.strip(),
        "description": item.description.strip(),
        "thematiques": _sorted(item.thematiques),
        "types": [item.type.value] if item.type else [],
        "publics": _sorted(item.publics),
        "publics_details": _text(item.publics_precisions),
        "access_conditions": _text(item.conditions_acces),
        "fees": item.frais.value if item.frais else "",
        "fees_details": _text(item.frais_precisions),
        "reception_modes": _sorted(item.modes_accueil),
        "referral_modes": _sorted(item.modes_mobilisation),
        "referral_by": _sorted(item.mobilisable_par),
        "referral_details": _text(item.mobilisation_precisions),
        "referral_url": mapper.url("referral_url", row.get("lien_mobilisation"), "lien_mobilisation"),
        "contact_name": mapper.text("contact_name", item.contact_nom_prenom, "contact_nom_prenom"),
        "eligibility_zone": mapper.zone(item.zone_eligibilite),
        "weekly_hours": item.volume_horaire_hebdomadaire,
        "weeks": item.nombre_semaines,
        **mapper.place(item, row),
    }
    _check_keys(values)
    values["search_text_start"] = search_text_start(values["name"], values["thematiques"])
    return values, mapper.warnings


@functools.lru_cache(maxsize=50_000)
def _normalized(text: str) -> str:
    return normalize_search(text)


def search_text_start(name: str, thematiques: Iterable[str]) -> str:
    """The part of ``indexing.search_text_for`` that depends on the service alone.

    ``normalize_search`` of parts joined by spaces is the space-joined ``normalize_search`` of
    each part (tests check it against ``search_text_for``), so the parts that repeat from row to
    row (theme labels, structure and commune names) are normalized once: the import's search
    text costs a fifth of ``search_text_for``'s.
    """
    labels = " ".join(str(THEMATIQUE_LABELS.get(code, code)) for code in thematiques)
    return " ".join(p for p in (normalize_search(name), _normalized(labels)) if p)


def search_text_end(start: str, *, structure_name: str, extra: str = "") -> str:
    """``search_text_for(name=…, thematiques=…, structure_name=…, extra=…)`` from its start."""
    return " ".join(p for p in (start, _normalized(structure_name), _normalized(extra)) if p)[:2000]


def _check_keys(values: dict[str, Any]) -> None:
    for key in ("source", "source_id"):
        if not values[key]:
            raise RowProblem(_("%(field)s: required") % {"field": "id" if key == "source_id" else key})
        if len(values[key]) > 200 or (key == "source" and len(values[key]) > 100):
            raise RowProblem(_("%(field)s: too long") % {"field": "id" if key == "source_id" else key})


# --- Writing -----------------------------------------------------------------------------

# Never moved backwards by an import (a later confirmation in Maillage is kept).
_FORWARD_ONLY = ("updated_at", "confirmed_at")


def _temp_table(cursor: Any, model: type[models.Model], fields: list[Any], rows: Iterable[list[Any]]) -> str:
    """Copy ``rows`` (values of ``fields``) into a temporary copy of the model's table (COPY)."""
    table = model._meta.db_table
    temp = f"import_{table}"
    # Table and column names come from the models, never from the file.
    cursor.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{temp}" ON COMMIT DROP AS SELECT * FROM "{table}" WITH NO DATA')  # noqa: S608
    cursor.execute(f'TRUNCATE "{temp}"')
    columns = ", ".join(f'"{f.column}"' for f in fields)
    with connection.wrap_database_errors, cursor.cursor.copy(f'COPY "{temp}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
    return temp


def _array(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal, so that COPY hands arrays over as plain text."""
    items = (str(v).replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return "{" + ",".join(f'"{item}"' for item in items) + "}"


def _copy_value(value: Any) -> Any:
    # The imported values are already what the columns store (str, numbers, aware datetimes,
    # lists of str): no per-field conversion is needed, which keeps COPY fast.
    return _array(value) if isinstance(value, list) else value


def bulk_insert(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """INSERT new rows (dicts of field attnames; the model's defaults fill the rest) through COPY
    and a temporary table, much faster than bulk_create's parameters. A service's search vector
    is computed in the same statement with the expression of ``indexing`` (one write per row
    instead of an INSERT then an UPDATE)."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and f.attname != "search_vector"]
    defaults = {f.attname: _copy_value(f.get_default()) for f in fields}
    attnames = [f.attname for f in fields]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    vector = model is Service
    with connection.cursor() as cursor:
        temp = _temp_table(
            cursor,
            model,
            fields,
            ([_copy_value(row[a]) if a in row else defaults[a] for a in attnames] for row in rows),
        )
        cursor.execute(
            f'INSERT INTO "{model._meta.db_table}" ({columns}{", search_vector" if vector else ""}) '  # noqa: S608
            f'SELECT {columns}{", " + VECTOR_SQL if vector else ""} FROM "{temp}" s'
        )


# The columns a service's search vector is computed from (indexing.VECTOR_SQL).
VECTOR_SOURCES = frozenset({"name", "search_text", "description"})


def bulk_update(model: type[models.Model], objs: list[Any], names: list[str], *, vector: bool = False) -> None:
    """UPDATE changed rows (every imported field) from a temporary table, in one statement; with
    ``vector``, a service's search vector is recomputed in it."""
    if not objs:
        return
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname["id"], *(by_attname[name] for name in names)]
    attnames = [f.attname for f in fields]
    with connection.cursor() as cursor:
        temp = _temp_table(cursor, model, fields, ([_copy_value(getattr(o, a)) for a in attnames] for o in objs))
        assignments = ", ".join(f'"{f.column}" = s."{f.column}"' for f in fields[1:])
        if vector:
            assignments += f", search_vector = {VECTOR_SQL}"
        cursor.execute(
            f'UPDATE "{model._meta.db_table}" t SET {assignments} FROM "{temp}" s WHERE t.id = s.id'  # noqa: S608
        )


@dataclass
class _Pending:
    row_number: int
    id: str
    values: dict[str, Any]
    warnings: list[str]
    obj: Any = None
    changed: list[str] | None = None  # None for a row to create


@dataclass
class _Batch:
    """Checked rows of one batch, with the rows refused and the warnings met while reading."""

    size: int
    pending: list[_Pending]
    errors: list[tuple[int, str, str]]  # (row number, id, reason)
    warnings: list[tuple[int, str, str]]


def _checked_batches(
    file: ImportFile,
    model: type[pydantic.BaseModel],
    values_of: Callable[[Any, _Referential, str], tuple[dict[str, Any], list[str]]],
    ref: _Referential,
    source: str,
) -> Iterator[_Batch]:
    """Read, validate and map the rows of ``file`` by batches, without touching the database."""
    seen: dict[tuple[str, str], int] = {}
    file_warnings: list[tuple[int, str, str]] = []
    rows = iter_rows(file, model, source_given=bool(source), warn=lambda n, m: file_warnings.append((n, "", m)))
    while batch := list(islice(rows, BATCH_SIZE)):
        checked = _Batch(len(batch), [], [], file_warnings[:])
        file_warnings.clear()
        for row_number, raw in batch:
            row_id = str(raw.get("id") or "")[:200] if isinstance(raw, dict) else ""
            if isinstance(raw, RowProblem):
                checked.errors.append((row_number, row_id, str(raw)))
                continue
            if row_id:
                key = (source or str(raw.get("source") or ""), row_id)
                if key in seen:
                    reason = _("duplicate id: already in row %(row)s of this file") % {"row": seen[key]}
                    checked.errors.append((row_number, row_id, reason))
                    continue
                seen[key] = row_number
            try:
                values, warnings = values_of(raw, ref, source)
            except RowProblem as problem:
                checked.errors.append((row_number, row_id, str(problem)))
                continue
            checked.pending.append(_Pending(row_number, values["source_id"], values, warnings))
        yield checked


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


def _read_ahead(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """Yield ``items``, produced by a thread up to ``depth`` ahead.

    Reading and checking the next batch (Python) then overlaps the writing of the current one
    (PostgreSQL computing search vectors, waited for without the GIL): about 1.5 times faster
    on two cores. The thread never uses the database; it reads under the caller's language.
    """
    lines: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    language = translation.get_language()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                lines.put(item, timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    def work() -> None:
        try:
            with translation.override(language):
                for item in items:
                    if not put(item):
                        return
        except BaseException as error:  # handed over to the caller
            put(_Failed(error))
        else:
            put(_END)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # the file, when the caller stopped early

    thread = threading.Thread(target=work, name="directory-import-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = lines.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()


class _Importer:
    def __init__(self, *, report: ImportReport, ref: _Referential, source: str, on_rows: Callable[[int], None]) -> None:
        self.report = report
        self.ref = ref
        self.source = source
        self.on_rows = on_rows
        self.renamed_structures: set[int] = set()

    @contextmanager
    def in_row_order(self) -> Iterator[None]:
        """Sort the errors and warnings of one file by row (some are found after their batch)."""
        errors, warnings = len(self.report.errors), len(self.report.warnings)
        yield
        self.report.errors[errors:] = sorted(self.report.errors[errors:], key=lambda e: e.row_number)
        self.report.warnings[warnings:] = sorted(self.report.warnings[warnings:], key=lambda e: e.row_number)

    def error(self, file: str, row_number: int, row_id: str, reason: str, counts: Counts) -> None:
        counts.errors += 1
        self.report.errors.append(RowError(file, row_number, row_id, reason))

    def warn(self, file: str, row_number: int, row_id: str, reason: str) -> None:
        self.report.warnings.append(RowError(file, row_number, row_id, reason))

    def upsert(
        self, model: type[Structure] | type[Service], file: str, pending: list[_Pending], counts: Counts
    ) -> None:
        """Create or update the rows of one batch, in bulk; row by row if the bulk write fails."""
        if not pending:
            return
        existing = {
            (obj.source, obj.source_id): obj
            for obj in model.objects.filter(
                source__in={p.values["source"] for p in pending}, source_id__in=[p.values["source_id"] for p in pending]
            )
            # Only the imported fields: what is compared, and what an update writes.
            .only(*pending[0].values)
            .order_by()
        }
        unchanged: list[_Pending] = []
        to_write: list[_Pending] = []
        for item in pending:
            obj = existing.get((item.values["source"], item.values["source_id"]))
            if obj is None:
                to_write.append(item)
                continue
            values = dict(item.values)
            for name in _FORWARD_ONLY:
                values[name] = max(values[name], getattr(obj, name))
            if model is Structure and obj.organisation_id is not None:  # type: ignore[union-attr]
                values.pop("organisation_id", None)  # chosen in Maillage: kept
            changed = [name for name, value in values.items() if getattr(obj, name) != value]
            if not changed:
                unchanged.append(item)
                continue
            if model is Structure and {"name", "commune_id"} & set(changed):
                self.renamed_structures.add(obj.pk)
            for name in changed:
                setattr(obj, name, values[name])
            item.obj, item.changed = obj, changed
            to_write.append(item)
        try:
            with transaction.atomic():
                bulk_insert(model, [item.values for item in to_write if item.changed is None])
                updates = [item for item in to_write if item.changed is not None]
                # A new date alone (the usual change) leaves the search vector as it is.
                revector = [bool(model is Service and VECTOR_SOURCES & set(i.changed or ())) for i in updates]
                names = list(pending[0].values)
                bulk_update(model, [i.obj for i, r in zip(updates, revector, strict=True) if not r], names)
                bulk_update(model, [i.obj for i, r in zip(updates, revector, strict=True) if r], names, vector=True)
        except DatabaseError:
            logger.warning("An import batch of %s failed in the database: retried row by row.", file, exc_info=True)
            to_write = self._write_one_by_one(model, file, to_write, counts)
        counts.created += sum(1 for item in to_write if item.changed is None)
        counts.updated += sum(1 for item in to_write if item.changed is not None)
        counts.unchanged += len(unchanged)
        for item in sorted([*to_write, *unchanged], key=lambda p: p.row_number):
            for message in item.warnings:
                self.warn(file, item.row_number, item.id, message)

    def _write_one_by_one(
        self, model: type[models.Model], file: str, items: list[_Pending], counts: Counts
    ) -> list[_Pending]:
        written = []
        for item in items:
            if item.changed is None:
                item.obj = model(**item.values)
            try:
                with transaction.atomic():
                    if item.changed is None:
                        item.obj.save(force_insert=True)
                    else:
                        item.obj.save(update_fields=item.changed)
                    if model is Service:
                        refresh_search_vectors([item.obj.pk])
            except DatabaseError as error:
                reason = _("refused by the database (%(error)s)") % {"error": str(error).strip().splitlines()[0][:200]}
                self.error(file, item.row_number, item.id, reason, counts)
            else:
                written.append(item)
        return written

    def batches(
        self,
        file: ImportFile,
        model: type[pydantic.BaseModel],
        values_of: Callable[[Any, _Referential, str], tuple[dict[str, Any], list[str]]],
        counts: Counts,
    ) -> Iterator[list[_Pending]]:
        """Checked rows by batches (read ahead by a thread); their errors are recorded here."""
        for batch in _read_ahead(_checked_batches(file, model, values_of, self.ref, self.source)):
            for row_number, row_id, reason in batch.errors:
                self.error(file.name, row_number, row_id, reason, counts)
            for row_number, row_id, reason in batch.warnings:
                self.warn(file.name, row_number, row_id, reason)
            yield batch.pending
            self.on_rows(batch.size)

    def import_structures(self, file: ImportFile) -> None:
        counts = self.report.structures
        for pending in self.batches(file, v1.Structure, structure_values, counts):
            for item in pending:
                siret = item.values["siret"]
                item.values["organisation_id"] = self.ref.organisation_by_siret.get(siret) if siret else None
            with transaction.atomic():
                self.upsert(Structure, file.name, pending, counts)

    def import_services(self, file: ImportFile) -> None:
        counts = self.report.services
        for pending in self.batches(file, v1.Service, service_values, counts):
            keys = [(p.values["source"], p.values.pop("structure_source_id")) for p in pending]
            starts = [p.values.pop("search_text_start") for p in pending]
            structures = {
                (source, source_id): (pk, name, commune_id)
                for pk, source, source_id, name, commune_id in Structure.objects.filter(
                    source__in={k[0] for k in keys}, source_id__in={k[1] for k in keys}
                )
                .order_by()
                .values_list("pk", "source", "source_id", "name", "commune_id")
            }
            ready = []
            for item, key, start in zip(pending, keys, starts, strict=True):
                structure = structures.get(key)
                if structure is None:
                    reason = _(
                        "unknown structure %(id)s: it is neither in the structures file nor in the directory"
                    ) % {"id": key[1]}
                    self.error(file.name, item.row_number, item.id, reason, counts)
                    continue
                pk, structure_name, structure_commune = structure
                commune = self.ref.communes.get(item.values["commune_id"] or structure_commune or "")
                item.values["structure_id"] = pk
                item.values["search_text"] = search_text_end(
                    start, structure_name=structure_name, extra=commune.name if commune else ""
                )
                ready.append(item)
            with transaction.atomic():
                self.upsert(Service, file.name, ready, counts)

    def refresh_services_of_renamed_structures(self) -> None:
        """A structure's name and commune are part of its services' search text."""
        ids = sorted(self.renamed_structures)
        for start in range(0, len(ids), BATCH_SIZE):
            services = list(
                Service.objects.filter(structure_id__in=ids[start : start + BATCH_SIZE])
                .select_related("structure")
                .only("name", "thematiques", "commune_id", "search_text", "structure__name", "structure__commune_id")
            )
            changed = []
            for service in services:
                commune = self.ref.communes.get(service.commune_id or service.structure.commune_id or "")
                text = search_text_for(
                    name=service.name,
                    thematiques=service.thematiques,
                    structure_name=service.structure.name,
                    extra=commune.name if commune else "",
                )
                if text != service.search_text:
                    service.search_text = text
                    changed.append(service)
            with transaction.atomic():
                Service.objects.bulk_update(changed, ["search_text"])
                refresh_search_vectors([s.pk for s in changed])


def import_data_inclusion(
    *,
    actor: Any,
    structures: ImportFile | None = None,
    services: ImportFile | None = None,
    source: str = "",
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    job: ImportJob | None = None,
) -> ImportReport:
    """Import the given files (structures first); see the module's documentation.

    Raises ImportFileError, before writing anything, if a file cannot be read. ``progress`` is
    called with (rows done, rows in all) after each batch. ``source`` replaces the rows' own.
    """
    source = source.strip()
    total = 0
    if structures is not None:
        total += scan_file(structures, v1.Structure, source_given=bool(source))
    if services is not None:
        total += scan_file(services, v1.Service, source_given=bool(source))
    report = ImportReport(dry_run=dry_run)
    done = 0

    def on_rows(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(0, total)

    def run() -> None:
        importer = _Importer(report=report, ref=_Referential(), source=source, on_rows=on_rows)
        if structures is not None:
            with importer.in_row_order():
                importer.import_structures(structures)
            importer.refresh_services_of_renamed_structures()
        if services is not None:
            with importer.in_row_order():
                importer.import_services(services)

    if dry_run:
        with transaction.atomic():
            run()
            transaction.set_rollback(True)
        return report
    run()
    merge_pending_lists()
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.OTHER,
            object_type="directory.import",
            object_id=str(job.pk) if job is not None else "",
            object_repr=", ".join(f.name for f in (structures, services) if f is not None)[:200],
            changes={**report.counts(), "errors": len(report.errors)},
        )
    return report


# --- Jobs (upload page) --------------------------------------------------------------------


def import_storage() -> Storage:
    """Where uploaded files wait for the worker: STORAGES["directory_imports"] if configured,
    else the local directory DIRECTORY_IMPORT_ROOT (default var/imports/)."""
    if "directory_imports" in settings.STORAGES:
        return storages["directory_imports"]
    root = getattr(settings, "DIRECTORY_IMPORT_ROOT", Path(settings.BASE_DIR) / "var" / "imports")
    return FileSystemStorage(location=root)


def _store(storage: Storage, upload: Any) -> tuple[str, str]:
    display = Path(upload.name or "").name or "upload"
    try:
        safe = get_valid_filename(display)
    except Exception:  # SuspiciousFileOperation for names such as ".."
        safe = "upload" + Path(display).suffix.lower()
    return storage.save(f"{uuid.uuid4().hex}/{safe}", upload), display[:255]


def import_job_create(
    *, actor: Any, structures: Any = None, services: Any = None, dry_run: bool = False, source: str = ""
) -> ImportJob:
    """Store the uploaded files and queue a job (the caller defers ``tasks.run_import_job``)."""
    storage = import_storage()
    job = ImportJob(created_by=actor if getattr(actor, "is_authenticated", False) else None, dry_run=dry_run)
    job.source = source.strip()
    if structures is not None:
        job.structures_file, job.structures_filename = _store(storage, structures)
    if services is not None:
        job.services_file, job.services_filename = _store(storage, services)
    job.save()
    return job


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a queued job (once: a job already taken is left alone), recording its progress."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), progress=0
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    storage = import_storage()
    last = -1

    def progress(done: int, total: int) -> None:
        nonlocal last
        percent = min(99, done * 100 // total) if total else 0
        if percent != last:
            last = percent
            ImportJob.objects.filter(pk=job_id).update(progress=percent)

    language = getattr(job.created_by, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            report = import_data_inclusion(
                actor=job.created_by,
                structures=ImportFile.from_storage(storage, job.structures_file, job.structures_filename)
                if job.structures_file
                else None,
                services=ImportFile.from_storage(storage, job.services_file, job.services_filename)
                if job.services_file
                else None,
                source=job.source,
                dry_run=job.dry_run,
                progress=None if job.dry_run else progress,
                job=job,
            )
        except ImportFileError as error:
            job.status = ImportJob.Status.FAILED
            job.message = str(error)
        except Exception:
            logger.exception("Directory import job %s failed.", job_id)
            job.status = ImportJob.Status.FAILED
            job.message = _("The import stopped on an unexpected error (details in the server logs).")
        else:
            job.status = ImportJob.Status.DONE
            job.progress = 100
            job.counts = {**report.counts(), "errors": len(report.errors)}
            job.errors = [asdict(e) for e in report.errors[:JOB_MAX_MESSAGES]]
            job.warnings = [asdict(w) for w in report.warnings[:JOB_MAX_MESSAGES]]
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "progress", "counts", "errors", "warnings", "message", "finished_at"])
    for name in (job.structures_file, job.services_file):
        if name:
            try:
                storage.delete(name)
            except OSError:
                logger.warning("Could not delete the uploaded file %s.", name, exc_info=True)
    return job
