"""Embedded mode generates an audit key for a new data folder only: a folder that already holds a trail (its
database, or anchors) but lost its `audit_key` file refuses to start, naming the file and how to restore it,
instead of signing on with a new key and calling every recorded event forged."""

from __future__ import annotations

from pathlib import Path

from tests.desk.test_audit_key_settings import _start


def _refused(result, var: Path) -> None:
    assert result.returncode != 0
    assert f"the audit key file {var / 'audit_key'} is missing" in result.stderr
    assert "EXECDESK_AUDIT_KEY" in result.stderr
    assert not (var / "audit_key").exists(), "no new key was written"


def test_a_data_folder_with_anchors_but_no_key_refuses_to_start(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    (var / "audit_anchors.log").write_text('{"event": 1, "hash": "ab", "ts": "2026-01-01T00:00:00+00:00"}\n')
    _refused(_start(tmp_path), var)


def test_a_data_folder_with_a_database_but_no_key_refuses_to_start(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    (var / "execdesk.sqlite3").write_bytes(b"SQLite format 3\x00" + b"\x00" * 84)
    _refused(_start(tmp_path), var)


def test_the_key_from_the_environment_still_opens_such_a_folder(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    (var / "execdesk.sqlite3").write_bytes(b"SQLite format 3\x00" + b"\x00" * 84)
    result = _start(tmp_path, EXECDESK_AUDIT_KEY="k" * 40)
    assert result.returncode == 0, result.stderr


def test_a_new_data_folder_still_gets_a_generated_key(tmp_path):
    result = _start(tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "audit_key").exists()
