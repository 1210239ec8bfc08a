"""Ids: 32 hex characters that sort by time and never repeat, across threads and across the
processes a server forks (each takes its random bytes from a buffer of its own)."""

from __future__ import annotations

import os
import threading
import time

from shipyard.core.ids import new_id


def test_ids_are_unique_hex_and_sort_by_creation_time() -> None:
    first = [new_id() for _ in range(5_000)]
    time.sleep(0.002)
    later = new_id()
    assert len(set(first)) == len(first)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in first)
    assert later > max(first)


def test_threads_never_share_an_id() -> None:
    found: list[list[str]] = [[] for _ in range(8)]

    def make(out: list[str]) -> None:
        out.extend(new_id() for _ in range(2_000))

    threads = [threading.Thread(target=make, args=(out,)) for out in found]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [i for out in found for i in out]
    assert len(set(every)) == len(every) == 16_000


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    new_id()  # the parent's buffer now holds random bytes the child would inherit
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, to the parent
        os.close(read)
        os.write(write, "".join(new_id()[12:] for _ in range(50)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    child = {text[i : i + 20] for i in range(0, len(text), 20)}
    parent = {new_id()[12:] for _ in range(50)}
    assert len(child) == 50
    assert not child & parent
