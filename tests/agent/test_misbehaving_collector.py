"""A collector that answers with garbage, 5xx or slowly: the agent keeps its reports, says why,
and never crashes. The fake collector is a real HTTPS server on loopback with the agent's pinned
CA."""

from __future__ import annotations

import http.server
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import AgentSettings
from agent.service import once
from agent.spool import Spool
from agent.state import AgentState, StateStore
from collector.tls import TlsFiles, create_ca, issue_server_cert


class Misbehaving(http.server.BaseHTTPRequestHandler):
    """Answers every POST as the test says: status, body, delay."""

    answer: tuple[int, bytes, float] = (200, b"<html>proxy login</html>", 0.0)

    def do_POST(self) -> None:
        status, body, delay = self.answer
        self.rfile.read(int(self.headers.get("content-length", "0")))
        time.sleep(delay)
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    files = TlsFiles(tmp_path / "tls")
    create_ca(files)
    issue_server_cert(files, ["127.0.0.1"])
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
    # The slow answer finds the agent gone (it gave up, as it should): the server's traceback
    # on stderr would land in whichever test runs seconds later.
    httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.server_cert, files.server_key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}", files.ca_cert.read_text()
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ((200, b"<html>proxy login</html>", 0.0), "not an acknowledgement"),
        ((200, b'{"seq": "x"}', 0.0), "not an acknowledgement"),
        ((503, b"down", 0.0), "busy or failing (503)"),
        ((200, b"{}", 3.0), "cannot reach"),
    ],
)
def test_agent_keeps_reports(
    server: tuple[str, str], tmp_path: Path, answer: tuple[int, bytes, float], says: str
) -> None:
    """Each bad answer leaves the report in the spool with a clear error."""
    url, ca = server
    Misbehaving.answer = answer
    settings = AgentSettings(data_dir=str(tmp_path / "agent"), request_timeout_seconds=1.0)
    store = StateStore(Path(settings.data_dir))
    store.key()
    store.save(AgentState(agent_id="h_test", unit_id="u", collector_url=url, ca_pem=ca))
    result = once(settings)
    assert result.sent == 0 and result.error is not None and says in result.error
    spool = Spool(store.spool_dir, settings.spool_max_reports, settings.spool_max_bytes)
    assert [seq for seq, _ in spool.pending()] == [result.seq]
