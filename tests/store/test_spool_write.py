"""The spool file's append (store/spool.py): every line written once, in order, whatever the number
of lines (more than one writev call can take) and however much each write call takes."""

import os

from centric.store import spool
from centric.store.spool import SpoolFile, spool_files, whole_lines


def test_many_lines_are_written_whole_and_in_order(tmp_path):
    lines = [f'{{"id":"m{i}"}}\n'.encode() for i in range(spool._IOV_MAX * 2 + 7)]
    file = SpoolFile(tmp_path)
    file.append(lines)
    file.append([b'{"id":"last"}\n'])
    file.seal()
    (path,) = spool_files(tmp_path)
    assert list(whole_lines(path)) == lines + [b'{"id":"last"}\n']


def test_a_short_write_is_finished(tmp_path, monkeypatch):
    real = os.writev

    def short(fd, buffers):  # the kernel takes a part only (as it may, on a signal)
        data = b"".join(buffers)
        return real(fd, [data[: len(data) // 3]])

    monkeypatch.setattr(spool.os, "writev", short)
    lines = [f'{{"id":"m{i}","pad":"{"x" * i}"}}\n'.encode() for i in range(50)]
    file = SpoolFile(tmp_path)
    file.append(lines)
    file.seal()
    (path,) = spool_files(tmp_path)
    assert list(whole_lines(path)) == lines
