"""DlmsMeter over scripted HDLC: identity (denied objects skipped), clock set, events, and a
two-day profile read delivered one day per block."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drivers.dlms import apdu as A
from drivers.dlms import hdlc
from drivers.dlms.axdr import CosemDateTime, DataType, Typed
from drivers.dlms.meter import DlmsMeter
from drivers.errors import ObjectError
from drivers.meter import ConnectOptions, MeterDriver
from drivers.model import EventCode
from drivers.testing import ScriptedTransport
from drivers.transport import HDLC_8N1
from tests.drivers.dlms import server_apdus as S
from tests.drivers.dlms.dlms_script import HdlcScript

SERVER = hdlc.server_address(1, 0x11, 4)
CLIENT = hdlc.client_address(0x20)
LP = "1.0.99.1.0.255"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def get(
    obis: str,
    attr: int,
    value: Typed | None,
    cls: int = 1,
    result: int = 0,
    access: tuple[int, bytes] | None = None,
) -> tuple[bytes, bytes]:
    req = A.get_request(A.Descriptor.of(cls, obis, attr), access)
    return req, S.get_response_normal(value.encode() if value else None, result)


def text(s: str) -> Typed:
    return Typed(DataType.OCTET_STRING, s.encode())


def cap(class_id: int, obis: str, attr: int = 2) -> Typed:
    return Typed(
        DataType.STRUCTURE,
        (
            Typed(DataType.UINT16, class_id),
            Typed(DataType.OCTET_STRING, A.obis_bytes(obis)),
            Typed(DataType.INT8, attr),
            Typed(DataType.UINT16, 0),
        ),
    )


def clock(dt: datetime) -> Typed:
    return Typed(DataType.OCTET_STRING, CosemDateTime.from_datetime(dt).encode())


def meter_for(
    requests: list[tuple[bytes, bytes]], *, with_list: bool = False
) -> tuple[DlmsMeter, ScriptedTransport]:
    s = HdlcScript(SERVER, CLIENT, 1024, 1024)
    s.snrm(hdlc.encode_params(hdlc.HdlcParams(1024, 1024, 1, 1)))
    # by default a meter without multiple-references: one GET per object
    conformance = S.DEFAULT_CONFORMANCE
    if not with_list:
        conformance &= ~A.MULTIPLE_REFERENCES
    s.request(A.aarq("pw2level"), S.aare(lls=True, conformance=conformance))
    for req, resp in requests:
        s.request(req, resp)
    s.request(A.rlrq(), S.rlre()).disc()
    t = ScriptedTransport(s.exchanges, HDLC_8N1, timeout=0.2)
    opts = ConnectOptions(
        "script://", password="pw2level", client_sap=0x20, server_physical=0x11, max_info=1024
    )
    return DlmsMeter(opts, transport=t), t


def test_identity_skips_denied_objects() -> None:
    m, t = meter_for(
        [
            get("0.0.42.0.0.255", 2, text("SEC0012345678")),
            get("0.0.96.1.0.255", 2, text("12345678")),
            get("1.0.0.2.0.255", 2, text("M1.02")),
            get("0.1.0.2.0.255", 2, text("A3.10")),
            get("0.2.0.2.0.255", 2, None, result=3),  # read-write-denied at this level
            get("0.0.96.1.1.255", 2, Typed(DataType.VISIBLE_STRING, "PRO")),
        ]
    )
    assert isinstance(m, MeterDriver)
    m.connect()
    ident = m.read_identity()
    m.close()
    t.assert_done()
    assert (ident.serial, ident.manufacturer, ident.outstation_type) == ("12345678", "SEC", "PRO")
    assert ident.firmware == {"metrology": "M1.02", "application": "A3.10"}


def test_set_clock_then_read_back() -> None:
    target = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    set_req = A.set_request(A.Descriptor.of(8, "0.0.1.0.0.255", 2), clock(target).encode())
    m, t = meter_for(
        [
            get("0.0.1.0.0.255", 2, clock(T0), cls=8),
            (set_req, S.set_response(0)),
            get("0.0.1.0.0.255", 2, clock(target), cls=8),
        ]
    )
    m.connect()
    reading = m.set_clock(target)
    m.close()
    t.assert_done()
    assert reading.meter_time == target


def test_events_are_canonical() -> None:
    rows = Typed(
        DataType.ARRAY,
        (
            Typed(
                DataType.STRUCTURE,
                (
                    clock(T0 + timedelta(minutes=7)),
                    Typed(DataType.UINT16, int(EventCode.SUPPLY_FAILURE)),
                ),
            ),
            Typed(
                DataType.STRUCTURE, (clock(T0 + timedelta(minutes=9)), Typed(DataType.UINT16, 999))
            ),
        ),
    )
    m, t = meter_for(
        [
            get(
                "0.0.99.98.0.255",
                3,
                Typed(DataType.ARRAY, (cap(8, "0.0.1.0.0.255"), cap(1, "0.0.96.11.0.255"))),
                cls=7,
            ),
            get("0.0.99.98.0.255", 2, rows, cls=7),
        ]
    )
    m.connect()
    events = m.read_events()
    m.close()
    t.assert_done()
    assert [(e.code, e.text) for e in events] == [
        (10, "Outstation supply failure"),
        (0, "meter event code 999"),  # not in the description: no bench kind is guessed
    ]
    assert events[0].time == T0 + timedelta(minutes=7)


def test_profile_is_read_one_day_per_block() -> None:
    caps = Typed(
        DataType.ARRAY,
        (cap(8, "0.0.1.0.0.255"), cap(1, "0.0.96.10.1.255"), cap(3, "1.0.1.8.0.255")),
    )
    su = Typed(DataType.STRUCTURE, (Typed(DataType.INT8, 0), Typed(DataType.ENUM, 30)))
    period = timedelta(minutes=30)
    exchanges = [
        get(LP, 4, Typed(DataType.UINT32, 1800), cls=7),
        get(LP, 3, caps, cls=7),
        get("1.0.1.8.0.255", 3, su, cls=3),
    ]
    for day in range(2):
        d0 = T0 + timedelta(days=day)
        rows = Typed(
            DataType.ARRAY,
            tuple(
                Typed(
                    DataType.STRUCTURE,
                    (
                        clock(d0 + period * (i + 1)),
                        Typed(DataType.UINT16, 0),
                        Typed(DataType.UINT32, day * 100 + i),
                    ),
                )
                for i in range(48)
            ),
        )
        sel = A.range_descriptor(d0 + period, d0 + timedelta(days=1))
        exchanges.append(get(LP, 2, rows, cls=7, access=sel))
    m, t = meter_for(exchanges)
    m.block_days = 1  # the default sizes blocks from the baud (several days at 9600 Bd)
    m.connect()
    blocks, progress = [], []
    profile = m.read_profile(
        T0,
        T0 + timedelta(days=2),
        on_block=blocks.append,
        progress=lambda d, n: progress.append((d, n)),
    )
    m.close()
    t.assert_done()
    assert [len(b) for b in blocks] == [48, 48]
    assert progress == [(0, 2), (1, 2), (2, 2)]
    assert len(profile.rows) == 96 and profile.rows[48].start == T0 + timedelta(days=1)
    assert profile.rows[49].values == [101] and profile.channels[0].unit == "Wh"
    assert m.profile_channels == profile.channels


def get_list(items: list[tuple[int, str, int]], values: list[Typed | int]) -> tuple[bytes, bytes]:
    """GET-with-list of ``items``; each value is data, or a Data-Access-Result code."""
    req = A.get_request_with_list([A.Descriptor.of(c, o, a) for c, o, a in items])
    body = b"".join(
        bytes([1, v]) if isinstance(v, int) else b"\x00" + v.encode() for v in values
    )
    return req, bytes([A.GET_RESPONSE, 3, A.DEFAULT_INVOKE, len(values)]) + body


def test_profile_layout_takes_two_gets_with_list_when_the_meter_allows() -> None:
    """Period and capture objects in one request, the channels' scalers in another: two
    exchanges instead of four, and the rows are scaled with what the list brought."""
    caps = Typed(
        DataType.ARRAY,
        (cap(8, "0.0.1.0.0.255"), cap(3, "1.0.1.8.0.255"), cap(3, "1.0.2.8.0.255")),
    )
    su = [Typed(DataType.STRUCTURE, (Typed(DataType.INT8, s), Typed(DataType.ENUM, 30)))
          for s in (0, -1)]  # fmt: skip
    rows = Typed(DataType.ARRAY, (Typed(DataType.STRUCTURE, (
        clock(T0 + timedelta(minutes=30)), Typed(DataType.UINT32, 7), Typed(DataType.UINT32, 25),
    )),))  # fmt: skip
    half = T0 + timedelta(minutes=30)
    sel = A.range_descriptor(half, half)
    m, t = meter_for(
        [
            get_list([(7, LP, 4), (7, LP, 3)], [Typed(DataType.UINT32, 1800), caps]),
            get_list([(3, "1.0.1.8.0.255", 3), (3, "1.0.2.8.0.255", 3)], su),
            get(LP, 2, rows, cls=7, access=sel),
        ],
        with_list=True,
    )
    m.connect()
    profile = m.read_profile(T0, half)
    m.close()
    t.assert_done()
    assert [r.values for r in profile.rows] == [[7, 2.5]]


def test_profile_layout_refused_in_a_list_is_the_objects_error() -> None:
    """A refused capture_objects in the list is the same ObjectError a single GET gives."""
    m, t = meter_for(
        [get_list([(7, LP, 4), (7, LP, 3)], [Typed(DataType.UINT32, 1800), 3])], with_list=True
    )
    m.connect()
    with pytest.raises(ObjectError) as info:
        m.read_profile(T0, T0 + timedelta(days=1))
    m.close()
    t.assert_done()
    assert info.value.obj == LP and info.value.attribute == 3
