"""A real SMTP server for the tests: aiosmtpd on a free local port, keeping every message it accepts.

`mailbox.refuse` holds addresses answered with 550 at RCPT; `stop()` and `start()` take the server away and
bring it back on the same port (a mail server that is down, then up)."""
import email
import re
import socket
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


MESSAGE_ID = re.compile(rb"^Message-ID: (\S+)\r?$", re.MULTILINE | re.IGNORECASE)


class Mailbox:
    def __init__(self, port: int):
        self.port = port
        self._raw: list[bytes] = []  # parsed when the test reads them, not while the sender waits
        self._parsed: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self._raw.append(envelope.original_content)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        with self._lock:
            fresh = self._raw[len(self._parsed):]
        self._parsed += [email.message_from_bytes(raw, policy=policy.default) for raw in fresh]
        return list(self._parsed)

    def count(self) -> int:
        return len(self._raw)

    def message_ids(self) -> list[str]:
        """The Message-ID of every message received, read without parsing whole messages (10,000 of them)."""
        with self._lock:
            raw = list(self._raw)
        return [MESSAGE_ID.search(message).group(1).decode() for message in raw]

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def parts(message) -> tuple[str, str]:
        """(plain text, HTML) of a message."""
        return (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


@pytest.fixture
def mailbox():
    """A real SMTP server (aiosmtpd) on a free local port, keeping what it receives; stopped afterwards."""
    box = Mailbox(free_port())
    box.start()
    yield box
    box.stop()
