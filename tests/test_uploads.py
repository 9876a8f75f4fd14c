"""The one tabular reader and the staged-upload store (kos_portal/uploads.py)."""

import io
from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from kos_portal import uploads
from kos_portal.uploads import TableError, table_read


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_utf8_with_a_bom_crlf_and_a_quoted_line_break_is_read():
    data = '\ufeffNumer,Nazwa,Adres\r\n1,"OSP\r\nMała Wieś",ul. Długa 1  \r\n2,OSP B,\r\n'
    table = table_read(data.encode("utf-8"))
    assert table.header == ["Numer", "Nazwa", "Adres"]
    assert table.rows == [(2, ["1", "OSP\r\nMała Wieś", "ul. Długa 1"]), (4, ["2", "OSP B", ""])]
    assert (table.separator, table.encoding) == (",", "utf-8")


def test_semicolons_quotes_lf_and_trailing_spaces_as_in_rspo():
    data = '\ufeff"Numer RSPO";Typ;Nazwa\n"123";"Szkoła podstawowa  ";"SP nr 1, Piaseczno "\n'
    table = table_read(data.encode("utf-8"))
    assert table.separator == ";"
    assert table.rows == [(2, ["123", "Szkoła podstawowa", "SP nr 1, Piaseczno"])]


def test_cp1250_from_polish_excel_and_tabs_are_read():
    table = table_read("imię\tnazwisko\nŻaneta\tŁój\n".encode("cp1250"))
    assert table.encoding == "cp1250" and table.separator == "\t"
    assert table.rows == [(2, ["Żaneta", "Łój"])]


def test_empty_rows_and_empty_columns_at_the_right_are_dropped():
    table = table_read(b"a,b,,\n1,2,,\n,,,\n3,4,,\n")
    assert table.header == ["a", "b"]
    assert [line for line, _cells in table.rows] == [2, 4]


def test_xlsx_is_read_with_dates_and_numbers():
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["name", "born", "phone"])
    workbook.active.append(["Anna ", date(2001, 2, 3), 600100200.0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = table_read(buffer.getvalue())
    assert table.kind == "xlsx"
    assert table.rows == [(2, ["Anna", "2001-02-03", "600100200"])]


def test_a_csv_over_the_row_cap_is_refused_with_the_cap_named():
    data = ("a\n" + "x\n" * 11).encode()
    with pytest.raises(TableError, match="more than 10 rows"):
        table_read(data, max_rows=10)
    assert len(table_read(data, max_rows=11).rows) == 11


def test_a_200000_row_xlsx_is_refused_without_reading_it_all():
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["first_name", "last_name"])
    for number in range(200_000):
        sheet.append(["A", str(number)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    started = timezone.now()
    with pytest.raises(TableError, match="more than 10"):
        table_read(buffer.getvalue())
    assert timezone.now() - started < timedelta(seconds=5)


def test_a_value_over_the_cell_cap_is_refused_naming_the_line():
    with pytest.raises(TableError, match="Line 3: a value is longer than 5 characters"):
        table_read(b"a\nabc\nabcdef\n", max_cell=5)


def test_a_file_that_is_not_text_is_refused_in_polish():
    with translation.override("pl"), pytest.raises(TableError, match="UTF-8 ani Windows-1250"):
        table_read(b"a\n\x81\x98\n")


def test_the_store_gives_back_the_parsed_table_only_to_its_user_and_scope(db, tmp_path, settings):
    from tests import factories

    settings.MEDIA_ROOT = tmp_path
    alice, bob = factories.UserFactory(), factories.UserFactory()
    table = table_read(b"a,b\n1,2\n")
    token = uploads.stage_save(table=table, purpose="test", user=alice, bound={"club": 1})
    assert uploads.stage_load(token=token, purpose="test", user=alice, bound={"club": 1}) == table
    for user, purpose, bound in ((bob, "test", {"club": 1}), (alice, "other", {"club": 1})):
        with pytest.raises(uploads.StagedUploadGone):
            uploads.stage_load(token=token, purpose=purpose, user=user, bound=bound)
    with pytest.raises(uploads.StagedUploadGone):
        uploads.stage_load(token=token, purpose="test", user=alice, bound={"club": 2})
    uploads.stage_discard(token=token, purpose="test", user=alice, bound={"club": 1})
    with pytest.raises(uploads.StagedUploadGone):
        uploads.stage_load(token=token, purpose="test", user=alice, bound={"club": 1})
