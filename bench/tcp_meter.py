"""A loopback TCP proxy that counts the bytes each way: what an SSH session costs on the wire.

`ssh -p <meter port>` instead of the server's port; `down` counts server -> client bytes (the
screen updates, encrypted and framed), `up` client -> server (keys, window changes, acks of
the SSH layer). TCP/IP headers are not counted: these are payload bytes, what a metered link
or a slow one carries on top of its own framing.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpMeter:
    """Forward 127.0.0.1:`port` to 127.0.0.1:`target_port`, counting bytes."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self.down = 0
        self.up = 0
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._closed = False

    def start(self) -> TcpMeter:
        thread = threading.Thread(target=self._accept, name="tcp-meter", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def counts(self) -> tuple[int, int]:
        """(down, up) bytes so far."""
        with self._lock:
            return self.down, self.up

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sockets += [client, server]
            for source, sink, downstream in ((server, client, True), (client, server, False)):
                pump = threading.Thread(
                    target=self._pump, args=(source, sink, downstream), daemon=True
                )
                pump.start()
                self._threads.append(pump)

    def _pump(self, source: socket.socket, sink: socket.socket, downstream: bool) -> None:
        try:
            while data := source.recv(65536):
                with self._lock:
                    if downstream:
                        self.down += len(data)
                    else:
                        self.up += len(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        with contextlib.suppress(OSError):
            self._listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()
        for thread in self._threads:
            thread.join(2)

    def __enter__(self) -> TcpMeter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
