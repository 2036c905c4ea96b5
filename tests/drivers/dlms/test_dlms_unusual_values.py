"""Property test: well-formed but unusual A-XDR values for EVERY attribute the DLMS driver reads.

A fake data link answers each GET from a table; hypothesis replaces any subset of the table's
answers with unusual but well-formed values (a capture period of 0, entries_in_use 2³²−1, a scaler
sent as an octet string, a non-integer status column, null where a date-time belongs, dates with
"not specified" fields, huge arrays of the wrong shape…). Whatever the meter sends, the read either
finishes (possibly with warnings) or raises a typed :class:`DriverError` — never another
exception, and never an unbounded loop (the number of requests is bounded by the span).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.dlms import apdu as A
from drivers.dlms.axdr import CosemDateTime, DataType, Typed
from drivers.dlms.client import DlmsClient
from drivers.dlms.meter import DlmsMeter, default_description
from drivers.errors import DriverError
from drivers.meter import ConnectOptions, read_all
from drivers.sim import dlms_apdu as sim_apdu

T0 = datetime(2026, 3, 28, 12, tzinfo=UTC)  # two days before the spring clock change
D = default_description()
LP, LOG = D.load_profile, D.event_logs[0]
U = DataType


def t(kind: DataType, value=None) -> Typed:
    return Typed(kind, value)


def dt(when: datetime) -> Typed:
    return t(U.OCTET_STRING, CosemDateTime.from_datetime(when).encode())


def cap(class_id: int, obis: str) -> Typed:
    return t(U.STRUCTURE, (t(U.UINT16, class_id), t(U.OCTET_STRING, A.obis_bytes(obis)),
                           t(U.INT8, 2), t(U.UINT16, 0)))  # fmt: skip


def normal() -> dict[tuple[str, int], Typed]:
    """A healthy meter: every attribute the driver reads, with ordinary values."""
    table: dict[tuple[str, int], Typed] = {}
    for obis in [*D.identity.values(), *D.firmware.values()]:
        table[(obis, 2)] = t(U.OCTET_STRING, b"TEXT-123")
    table[(D.clock, 2)] = dt(T0)
    for code in [r.obis for r in D.registers] + list(D.instantaneous):
        table[(code, 2)] = t(U.UINT32, 12345)
        table[(code, 3)] = t(U.STRUCTURE, (t(U.INT8, -1), t(U.ENUM, 30)))
    columns = [cap(8, D.clock), cap(1, D.profile_status)] + [cap(3, r.obis) for r in D.registers]
    table[(LP, 3)] = t(U.ARRAY, tuple(columns))
    table[(LP, 4)] = t(U.UINT32, 1800)
    table[(LP, 7)] = t(U.UINT32, 96)
    row = (dt(T0), t(U.UINT16, 1)) + tuple(t(U.UINT32, 5) for _ in D.registers)
    table[(LP, 2)] = t(U.ARRAY, (t(U.STRUCTURE, row),))
    table[(LOG, 3)] = t(U.ARRAY, (cap(8, D.clock), cap(1, D.event_code)))
    table[(LOG, 2)] = t(U.ARRAY, (t(U.STRUCTURE, (dt(T0), t(U.UINT16, 10))),))
    return table


#: unusual but well-formed values of every A-XDR type, nested a little.
SCALARS = st.one_of(
    st.just(t(U.NULL)),
    st.booleans().map(lambda v: t(U.BOOLEAN, v)),
    st.sampled_from([0, 1, 0x7FFFFFFF, -(2**31)]).map(lambda v: t(U.INT32, v)),
    st.sampled_from([0, 1, 2**32 - 1]).map(lambda v: t(U.UINT32, v)),
    st.sampled_from([0, 2**64 - 1]).map(lambda v: t(U.UINT64, v)),
    st.sampled_from([-128, 0, 127]).map(lambda v: t(U.INT8, v)),
    st.sampled_from([0, 255]).map(lambda v: t(U.ENUM, v)),
    st.sampled_from([0, 65535]).map(lambda v: t(U.UINT16, v)),
    st.sampled_from([math.nan, math.inf, -0.0, 1e300]).map(lambda v: t(U.FLOAT64, v)),
    st.binary(max_size=14).map(lambda v: t(U.OCTET_STRING, v)),
    st.sampled_from(
        [b"\xff" * 12, bytes(12), b"\x07\xea\x0d\x20\xff\x19\x3c\x3c\xff\x80\x00\xff"]
    ).map(lambda v: t(U.OCTET_STRING, v)),
    st.text(alphabet="AZ09 -", max_size=8).map(lambda v: t(U.VISIBLE_STRING, v)),
)
UNUSUAL = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda v: t(U.ARRAY, tuple(v))),
        st.lists(inner, max_size=6).map(lambda v: t(U.STRUCTURE, tuple(v))),
    ),
    max_leaves=12,
)
#: the unusual values the issue names, aimed at the attribute they break.
NAMED = {
    (LP, 4): st.sampled_from([t(U.UINT32, 0), t(U.UINT32, 2**32 - 1), t(U.UINT32, 1)]),
    (LP, 7): st.just(t(U.UINT32, 2**32 - 1)),
    (D.registers[0].obis, 3): st.just(t(U.STRUCTURE, (t(U.OCTET_STRING, b"\xfd"), t(U.ENUM, 30)))),
    (LP, 2): st.just(
        t(
            U.ARRAY,
            (
                t(
                    U.STRUCTURE,
                    (dt(T0), t(U.OCTET_STRING, b"\x00\x01"))
                    + tuple(t(U.UINT32, 5) for _ in D.registers),
                ),
            ),
        )
    ),  # fmt: skip
}
KEYS = sorted(normal())


class FakeLink:
    """Answers GETs from a table; counts requests (the bound on loops)."""

    connected = True
    transport = SimpleNamespace(url="fake://meter")

    def __init__(self, table: dict[tuple[str, int], Typed]) -> None:
        self.table = table
        self.requests = 0

    def exchange(self, apdu: bytes, step: str = "") -> bytes:
        self.requests += 1
        assert self.requests < 2000, "unbounded request loop"
        if apdu[:2] == b"\xc0\x03":  # GET-with-list: each item from the table
            req = sim_apdu.parse_request(apdu)
            results: list[bytes | int] = []
            for _class_id, obis, attr in req.items:
                value = self.table.get((A.obis_str(obis), attr))
                results.append(4 if value is None else value.encode())
            return sim_apdu.get_response_list(req.invoke, results)
        one = sim_apdu.parse_request(apdu)  # the simulator's own parser (not the client's code)
        value = self.table.get((A.obis_str(one.obis), one.index))
        if value is None:
            return sim_apdu.get_response(one.invoke, None, result=4)  # object-undefined
        return sim_apdu.get_response(one.invoke, value.encode())

    def disconnect(self) -> None:
        pass


def read(table: dict[tuple[str, int], Typed], start: datetime | None, lists: bool = False) -> None:
    meter = DlmsMeter(ConnectOptions("fake://meter"))
    meter.client = DlmsClient(FakeLink(table))  # type: ignore[arg-type]
    if lists:  # an association whose conformance allows GET-with-list
        meter.client.association = SimpleNamespace(conformance=A.MULTIPLE_REFERENCES)
    try:
        reading = read_all(meter, start, None if start is None else start + timedelta(days=2))
        meter.read_instantaneous()
    except DriverError as exc:
        assert str(exc)  # typed, with a message
        return
    for w in reading.warnings:
        assert w.object and w.reason


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    replaced=st.dictionaries(st.sampled_from(KEYS), UNUSUAL, max_size=4),
    open_start=st.booleans(),
    lists=st.booleans(),
)
def test_unusual_values_anywhere_only_typed_errors_escape(replaced, open_start, lists):
    table = {**normal(), **replaced}
    read(table, None if open_start else T0 - timedelta(days=1), lists)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), open_start=st.booleans())
def test_the_values_the_issue_names(data, open_start):
    table = normal()
    for key, strategy in NAMED.items():
        if data.draw(st.booleans(), label=f"{key}"):
            table[key] = data.draw(strategy)
    read(table, None if open_start else T0 - timedelta(days=1))


@pytest.mark.parametrize("lists", [False, True])
def test_the_healthy_table_reads_without_warnings(lists):
    meter = DlmsMeter(ConnectOptions("fake://meter"))
    link = FakeLink(normal())
    meter.client = DlmsClient(link)  # type: ignore[arg-type]
    if lists:
        meter.client.association = SimpleNamespace(conformance=A.MULTIPLE_REFERENCES)
    reading = read_all(meter, T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert reading.warnings == [] and len(reading.profile.rows) == 1 and len(reading.events) == 1
    assert len(reading.identity.firmware) == 3 and len(reading.registers) == 4
    # with lists: identity + registers in 2 requests, not 14; the profile's period and
    # capture objects in 1, not 2 (the scalers are known from the registers by then)
    assert link.requests == (7 if lists else 20)
