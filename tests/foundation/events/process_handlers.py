"""Handlers for the process tests, loaded into a ``manage.py events worker`` child process
with ``--import``: each appends ``<handler> <event id> <pid>`` as one line to the file named
by ``SHUZHENG_TEST_EVENTS_LOG`` (one ``write`` of an ``O_APPEND`` file: lines never mix)."""

import os

from shuzheng.foundation import events

EVERY, ACCEPTED = "tests.proc.every", "tests.proc.accepted"


def _recorder(name: str):
    def record(event) -> None:
        line = f"{name} {event.id} {os.getpid()}\n".encode()
        fd = os.open(os.environ["SHUZHENG_TEST_EVENTS_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    return record


events.subscribe("test.proc.*", _recorder(EVERY), name=EVERY)
events.subscribe("test.proc.accepted", _recorder(ACCEPTED), name=ACCEPTED)
