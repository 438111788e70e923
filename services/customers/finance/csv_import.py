"""``caredesk import-billing``: a billing CSV file streamed into the import, a batch per transaction.

The first line names the columns (those of the kind's row shape, in any order; a UTF-8 byte-order
mark is allowed); every later line is a record, reported by its line number in the file when bad.
Exit status: 0 all imported, 1 nothing imported (bad rows or an unreadable file), 2 good rows
imported with --partial and some rows rejected.
"""
from __future__ import annotations

import csv
import json
import sys
import uuid
from pathlib import Path
from typing import Callable, Iterator, TextIO

from services.customers.finance.errors import BillingRowsInvalid
from services.customers.finance.schemas import REQUIRED_COLUMNS, ROW_SCHEMAS
from services.customers.finance.use_cases import import_billing
from services.kit.auth import COMPANY, Principal
from services.kit.uow import UnitOfWork

# who the history and the events name for a command-line import
IMPORTER = Principal(user_id=uuid.uuid5(uuid.NAMESPACE_URL, "caredesk:billing-import"), username="billing-import",
                     level=COMPANY, branch_id=None, department_id=None)


class UnreadableFile(Exception):
    """The file cannot be read as the kind's CSV (header, encoding, quoting): nothing is imported."""


def _header(path: Path, kind: str, delimiter: str) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        try:
            header = next(csv.reader(stream, delimiter=delimiter), None)
        except (csv.Error, UnicodeDecodeError) as error:
            raise UnreadableFile(f"line 1: {error}") from None
    if not header:
        raise UnreadableFile("line 1: the file is empty; the first line names the columns.")
    names = [name.strip().lower() for name in header]
    known = set(ROW_SCHEMAS[kind]().fields)
    problems = []
    if unknown := [name for name in names if name not in known]:
        problems.append(f"unknown columns {', '.join(unknown)}")
    if missing := [name for name in REQUIRED_COLUMNS[kind] if name not in names]:
        problems.append(f"missing columns {', '.join(missing)}")
    if len(set(names)) != len(names):
        problems.append("a column is named twice")
    if problems:
        raise UnreadableFile(f"line 1: {'; '.join(problems)} (columns of {kind}: {', '.join(sorted(known))}).")
    return names


def stream_rows(path: Path, *, kind: str, delimiter: str = ",") -> Callable[[], Iterator[tuple[int, object]]]:
    """A function giving a fresh stream of (line, values) over the file, one row in memory at a time."""
    names = _header(path, kind, delimiter)

    def rows() -> Iterator[tuple[int, object]]:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            reader = csv.reader(stream, delimiter=delimiter)
            try:
                next(reader)
                for cells in reader:
                    if not any(cell.strip() for cell in cells):
                        continue  # a blank line
                    if len(cells) != len(names):
                        yield reader.line_num, f"{len(cells)} cells where the header names {len(names)} columns."
                        continue
                    yield reader.line_num, dict(zip(names, cells))
            except (csv.Error, UnicodeDecodeError) as error:
                raise UnreadableFile(f"line {reader.line_num + 1}: {error}") from None
    return rows


def run(path: Path, *, kind: str, partial: bool, delimiter: str = ",", out: TextIO | None = None,
        err: TextIO | None = None, settings=None) -> int:
    """Import the file into the customers database of ``settings`` (the environment's by default)."""
    out, err = out or sys.stdout, err or sys.stderr
    from caredesk.components import COMPONENTS
    from services.customers.models import Base
    from services.customers.settings import CustomersSettings
    from services.kit.db import Database

    settings = settings or COMPONENTS["customers"].settings()
    customers_settings = CustomersSettings.load(settings)
    correlation_id = str(uuid.uuid4())
    database = Database(settings.database_url, Base.metadata)
    try:
        rows = stream_rows(path, kind=kind, delimiter=delimiter)
        result = import_billing(
            lambda: UnitOfWork(database, producer="customers", actor=str(IMPORTER.user_id),
                               correlation_id=correlation_id),
            principal=IMPORTER, kind=kind, rows=rows, partial=partial,
            reporting_currency=customers_settings.reporting_currency,
            batch_size=customers_settings.import_batch_size)
    except (UnreadableFile, OSError) as error:
        print(f"{path}: {error}; nothing was imported.", file=err)
        return 1
    except BillingRowsInvalid as error:
        for row in error.extra["rows"]:
            print(f"{path}:{row['line']}: {_describe(row['errors'])}", file=err)
        print(f"{path}: {error.detail}", file=err)
        return 1
    finally:
        database.dispose()
    for row in result.rejected:
        print(f"{path}:{row['line']}: {_describe(row['errors'])}", file=err)
    print(json.dumps({key: value for key, value in result.__dict__.items() if key != "rejected"}), file=out)
    return 2 if result.rejected_count else 0


def _describe(errors: dict) -> str:
    return "; ".join(f"{field}: {' '.join(map(str, messages)) if isinstance(messages, list) else messages}"
                     for field, messages in errors.items())
