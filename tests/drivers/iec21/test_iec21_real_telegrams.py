"""IEC 62056-21 as real meters send it: no STX/ETX, continuation lines, several values per line,
mixed-case units, CR LF or LF, and mode D telegrams pushed to a passive port (``--listen-only``).

The push tests use a real TCP socket (``socket://``) fed by a thread that plays the meter."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from bench_app.cli import main
from drivers.errors import DriverTimeout, ProtocolError
from drivers.iec62056_21.readout import data_block, parse_readout

#: a mode D push telegram as an optical head passes it on (no STX/ETX, so no BCC).
TELEGRAM = (
    "/ISk5MT174-0001\r\n"
    "\r\n"
    "0.0.0(00339188)\r\n"
    "C.1.0(61234567)\r\n"
    "0.9.1(143015)0.9.2(260315)\r\n"
    "1.8.0(0012345.678*KWH)\r\n"
    "1.8.1(0008000.123*kWh)(0000434.444*kwh)\r\n"
    "2.8.0(0000010.000*Kwh)\r\n"
    "32.7.0(230.1*v)31.7.0(1.52*a)14.7.0(49.98*HZ)\r\n"
    "F.F(00000000)\r\n"
    "P.98(2603150101)(0010)\r\n"
    "(2603150202)(0011)\r\n"
    "!\r\n"
)


@pytest.mark.parametrize("eol", ["\r\n", "\n"])
def test_unframed_telegram_parses_and_says_it_had_no_bcc(eol):
    r = parse_readout(TELEGRAM.replace("\r\n", eol).encode("ascii"))
    assert r.framed is False
    assert r.identification == "ISk5MT174-0001"
    assert r.get("1.8.0").values == [("0012345.678", "kWh")]
    assert r.get("1.8.1").values == [("0008000.123", "kWh"), ("0000434.444", "kWh")]
    assert r.get("2.8.0").unit == "kWh" and r.get("32.7.0").unit == "V"
    assert r.get("31.7.0").unit == "A" and r.get("14.7.0").unit == "Hz"
    # the continuation line belongs to the data set above it
    assert r.get("P.98").values == [
        ("2603150101", None), ("0010", None), ("2603150202", None), ("0011", None),
    ]  # fmt: skip


def test_the_same_data_framed_is_checked_and_says_so():
    body = TELEGRAM.split("\r\n\r\n", 1)[1]
    r = parse_readout((b"/ISk5MT174-0001\r\n") + data_block(body))
    assert r.framed is True and r.get("1.8.0").unit == "kWh"
    bad = bytearray((b"/ISk5MT174-0001\r\n") + data_block(body))
    bad[-1] ^= 0x01
    with pytest.raises(ProtocolError, match="BCC"):
        parse_readout(bytes(bad))


@pytest.mark.parametrize(
    "broken",
    [b"1.8.0(1*kWh)\r\n!\r\n", b"/ABC5X\r\n1.8.0(1*kWh)\r\n", b"/ABC5X\r\n1.8.0(1*kWh\r\n!\r\n"],
    ids=["no-identification", "no-end", "unclosed"],
)
def test_broken_unframed_telegrams_are_protocol_errors(broken):
    with pytest.raises(ProtocolError):
        parse_readout(broken)


class PushingMeter:
    """A TCP 'meter' that pushes ``payload`` every 0.2 s, starting mid-telegram."""

    def __init__(self, payload: bytes, *, cut: int = 25) -> None:
        self.payload = payload
        self.cut = cut
        self.received = bytearray()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"socket://127.0.0.1:{self.server.getsockname()[1]}"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        conn.settimeout(0.2)
        with conn:
            try:
                conn.sendall(self.payload[self.cut :])  # joined mid-telegram
                while not self.stop.is_set():
                    conn.sendall(self.payload)
                    try:
                        self.received += conn.recv(100)
                    except TimeoutError:
                        pass
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.server.close()
        self.thread.join(timeout=5)


def listen(payload: bytes, capsys) -> tuple[int, dict, bytes]:
    """``bench-app read --listen-only --json`` against a meter pushing ``payload``."""
    meter = PushingMeter(payload)
    try:
        code = main(["read", "--port", meter.url, "--protocol", "iec21", "--listen-only",
                     "--json"])  # fmt: skip
    finally:
        meter.close()
    return code, json.loads(capsys.readouterr().out), bytes(meter.received)


def test_listen_only_reads_a_pushed_telegram_and_sends_nothing(capsys):
    code, out, received = listen(TELEGRAM.encode("ascii"), capsys)
    assert received == b""  # a passive port: the bench never transmitted
    assert code == 16  # read with warnings: no BCC, and a push carries no profile/events
    assert out["identity"]["serial"] == "61234567"
    assert out["identity"]["manufacturer"] == "ISk"
    assert out["clock"]["meter_time"] == "2026-03-15T14:30:15Z"
    regs = {r["obis"]: (r["value"], r["unit"]) for r in out["registers"]}
    assert regs["1.0.1.8.0.255"] == (12345.678, "kWh")
    assert regs["1.0.2.8.0.255"] == (10.0, "kWh")
    reasons = {w["object"]: w["reason"] for w in out["warnings"]}
    assert "no BCC" in reasons["telegram"]
    assert "listen-only" in reasons["P.01"] and "listen-only" in reasons["P.98"]


def test_listen_only_framed_push_has_no_bcc_warning(capsys):
    body = TELEGRAM.split("\r\n\r\n", 1)[1]
    code, out, _ = listen(b"/ISk5MT174-0001\r\n" + data_block(body), capsys)
    assert code == 16
    assert "telegram" not in {w["object"] for w in out["warnings"]}


def test_listen_only_silence_is_a_timeout_not_a_hang():
    from drivers.iec62056_21.meter import Iec21Meter
    from drivers.meter import ConnectOptions

    server = socket.create_server(("127.0.0.1", 0))
    url = f"socket://127.0.0.1:{server.getsockname()[1]}"
    m = Iec21Meter(ConnectOptions(url, listen_only=True, timeout=0.05))
    try:
        with pytest.raises(DriverTimeout):
            m.transport.open()
            m.client.listen(timeout=0.3)
    finally:
        m.close()
        server.close()


def test_listen_only_refuses_other_protocols_and_passwords(capsys):
    assert main(["read", "--port", "socket://127.0.0.1:9", "--protocol", "dlms",
                 "--listen-only"]) == 2  # fmt: skip
    assert main(["read", "--port", "socket://127.0.0.1:9", "--protocol", "iec21",
                 "--listen-only", "--password", "ABCDEF12"]) == 2  # fmt: skip


def test_description_names_the_iec_addresses(capsys):
    """A description whose [iec21] table and channels name other addresses is followed."""
    from drivers.description import parse_description
    from drivers.iec62056_21.meter import Iec21Meter
    from drivers.meter import ConnectOptions

    d = parse_description(
        'name = "lab-iec"\nprotocols = ["iec21"]\n'
        '[[channels]]\nobis = "1.0.1.8.1.255"\niec = "1.8.1"\n'
        '[iec21]\nserial = "0.0.0"\n',
        "lab-iec.toml",
    )
    meter = PushingMeter(TELEGRAM.encode("ascii"))
    try:
        m = Iec21Meter(ConnectOptions(meter.url, listen_only=True, description=d))
        m.connect()
        ident, regs = m.read_identity(), m.read_registers()
        m.close()
    finally:
        meter.close()
    assert ident.serial == "00339188"  # 0.0.0, not C.1.0
    assert [(r.obis, r.value) for r in regs] == [("1.0.1.8.1.255", 8000.123)]
