"""TcpMeter: forwards a TCP connection and counts the bytes each way."""

from __future__ import annotations

import socket
import threading

from bench.tcp_meter import TcpMeter


def test_meter_forwards_and_counts_both_directions() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def echo_twice() -> None:
        conn, _ = server.accept()
        with conn:
            data = conn.recv(100)
            conn.sendall(data * 2)

    thread = threading.Thread(target=echo_twice, daemon=True)
    thread.start()
    with TcpMeter(port) as meter, socket.create_connection(("127.0.0.1", meter.port)) as client:
        client.sendall(b"hello")
        received = b""
        while len(received) < 10:
            chunk = client.recv(100)
            assert chunk, "connection closed early"
            received += chunk
        assert received == b"hellohello"
        thread.join(5)
        assert meter.counts() == (10, 5)
    server.close()
