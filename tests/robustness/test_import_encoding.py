"""The encoding is decided over the whole file, line by line: a Windows-1252 byte after the
first 64 KiB no longer stops the file (2,010 good rows were lost), and a byte neither UTF-8
nor Windows-1252 is a row error naming the line and field."""

import pytest

from crm.models import Campaign, Client

pytestmark = pytest.mark.django_db


def clients_file(path, before, bad_line, after):
    rows = [f"K{i:05d},Clínica Núñez {i},Cádiz".encode() for i in range(before)]
    rows.append(bad_line)
    rows += [f"L{i:05d},Centro Peña {i},Málaga".encode() for i in range(after)]
    path.write_bytes(b"code,name,province\n" + b"\n".join(rows) + b"\n")
    assert path.stat().st_size > 1 << 16


def test_windows_1252_line_after_64_kib_is_read(tmp_path, run_import):
    bad = "W1,Clínica Señor,Cádiz".encode("cp1252")
    clients_file(tmp_path / "clients.csv", 2000, bad, 10)
    out = run_import(tmp_path)

    assert "read 2011, imported 2011, updated 0, skipped as already present 0, rejected 0" in out
    assert "1 lines are not UTF-8 and were read as Windows-1252 (lines 2002)" in out
    assert Client.objects.get(code="W1").name == "Clínica Señor"
    assert Client.objects.get(code="K00000").name == "Clínica Núñez 0"  # UTF-8 stays UTF-8
    assert Client.objects.get(code="L00009").province == "Málaga"


def test_byte_undefined_in_windows_1252_is_a_row_error(tmp_path, run_import):
    clients_file(tmp_path / "clients.csv", 2000, b"W2,Cl\x81nica,C\xe1diz", 5)
    out = run_import(tmp_path)

    assert (
        "clients.csv line 2002, name: contains a byte that is neither UTF-8 nor Windows-1252."
        in out
    )
    assert "read 2006, imported 2005, updated 0, skipped as already present 0, rejected 1" in out
    assert not Client.objects.filter(code="W2").exists()


def test_windows_1252_file_with_an_ascii_header(tmp_path, run_import):
    (tmp_path / "clients.csv").write_bytes("code,province\nC1,Cádiz\n".encode("cp1252"))
    out = run_import(tmp_path)

    assert Client.objects.get(code="C1").province == "Cádiz"
    assert "1 lines are not UTF-8 and were read as Windows-1252 (lines 2); the others" in out


def test_whole_windows_1252_file_is_said_so(tmp_path, run_import):
    sheet = "Campaña;Fecha inicio;Fecha fin\nOtoño;10/1/2025;11/15/2025\n"
    (tmp_path / "campañas.csv").write_bytes(sheet.encode("cp1252"))
    out = run_import(tmp_path)
    assert "decided: the file is not UTF-8: read as Windows-1252" in out
    assert Campaign.objects.get(code="Otoño").end.month == 11


def test_old_mac_line_ends_are_read(tmp_path, run_import):
    (tmp_path / "clients.csv").write_bytes(b"code,name\rM1,Uno\rM2,Dos\r")
    out = run_import(tmp_path)
    assert "read 2, imported 2" in out
    assert Client.objects.get(code="M2").name == "Dos"
