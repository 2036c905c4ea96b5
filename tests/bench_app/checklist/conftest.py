"""Fixtures for the checklist engine: a real Store on a temp file, the real simulated meter core
(``drivers.sim.meter.SimMeter``) with its real bench control, and a small in-process driver that
speaks to that meter without bytes (the protocol front ends are tested elsewhere; end-to-end
tests over the real front ends are in ``test_checklist_e2e.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drivers.errors import AuthenticationError, TransportError
from drivers.model import (
    Channel,
    ClockReading,
    Identity,
    Profile,
    ProfileRow,
    RegisterValue,
)
from drivers.sim.control import BenchControl
from drivers.sim.meter import MeterDescription, SimMeter
from drivers.trace import Trace

PASSWORD = "HHDC2PASS"
#: The witnessed script (the HHDC's system judged): the only kind of run a protocol approval
#: can PASS on; tests of the overall-result rules record their verdicts on it.
WITNESSED = "bscp601-witnessed-cop1-2-3-5-10"


def rehearsal_pass(result) -> bool:
    """Every step of a meter-side rehearsal passed and it is still no protocol approval: the
    result is INCOMPLETE for that one reason."""
    from bench_app.checklist.verdict import REHEARSAL_TITLE

    blocking = [c for c in result.causes if c.kind != "note"]
    return (result.status == "INCOMPLETE" and len(blocking) == 1
            and blocking[0].text.startswith(REHEARSAL_TITLE))  # fmt: skip


class SimDriver:
    """MeterDriver over an in-process SimMeter (checks the Level 2 password on connect)."""

    protocol = "dlms"

    def __init__(self, sim: SimMeter, password: str | None = PASSWORD, register_scale=1.0):
        self.sim = sim
        self.password = password
        self.trace = Trace()
        self.register_scale = register_scale
        self.connected = False

    def _note(self, what: str) -> None:
        self.trace.add("tx", what.encode(), note="in-process")

    def connect(self) -> None:
        # like a real driver, say where the password is so the trace never records it
        pw = self.password or ""
        self.trace.add("tx", f"connect {pw}".encode(), note="in-process", secret=[(8, 8 + len(pw))])
        if not self.sim.powered:
            raise TransportError("no answer: outstation unpowered", port="sim://")
        if not self.sim.check_password(self.sim.password_of(2, PASSWORD), self.password):
            raise AuthenticationError("association refused (wrong password)", port="sim://")
        self.connected = True

    def close(self) -> None:
        self.connected = False

    def read_identity(self) -> Identity:
        d = self.sim.description
        return Identity(
            d.serial,
            d.manufacturer,
            d.model,
            d.outstation_type,
            dict(d.firmware),
            d.logical_device_name,
        )

    def read_clock(self) -> ClockReading:
        self._note("clock")
        pc = self.sim.true_now() - timedelta(seconds=self.sim.advanced_s)  # the bare PC clock
        return ClockReading.of(self.sim.meter_now(), pc)

    def set_clock(self, meter_time: datetime) -> ClockReading:
        self._note("set clock")
        self.sim.set_clock(meter_time)
        return self.read_clock()

    def read_registers(self) -> list[RegisterValue]:
        return [
            RegisterValue(c.obis, v * self.register_scale, "Wh") for c, v in self.sim.registers_wh()
        ]

    def read_instantaneous(self) -> list[RegisterValue]:
        return []

    def read_profile(self, start=None, end=None, *, on_block=None, progress=None) -> Profile:
        self._note("profile")
        chans = [Channel(c.obis, "Wh") for c in self.sim.description.channels]
        rows = [
            ProfileRow(t, [float(v) for v in vals], st)
            for t, vals, st in self.sim.profile_rows(start, end)
        ]
        return Profile(self.sim.period_min, chans, rows)

    def read_events(self, start=None, end=None):
        self._note("events")
        return self.sim.events(start, end)


@pytest.fixture
def session(store):
    sid = store.create_session("BSCP601-TEST", "protocol-approval", cops=["CoP5"])
    declare_sim_equipment(store, sid)
    return sid


def declare_sim_equipment(store, sid: int, d: MeterDescription | None = None) -> None:
    """Declare the simulated meter (default: the Prometer) as the session's equipment (step EQ-1
    compares the meter with it)."""
    d = d or MeterDescription.load("prometer100")
    store.set_equipment(
        sid, outstation_type=d.outstation_type, model=d.model, serials=[d.serial],
        firmware=dict(d.firmware), hardware_version=d.hardware_version,
    )  # fmt: skip


def add_exports(store, sid: int, sim: SimMeter, days: int = 21, bump: float = 0.0,
                sources=("hhdc", "manufacturer")) -> dict[str, int]:  # fmt: skip
    """What the HHDC system and the manufacturer software collected from ``sim``: the last
    ``days`` whole days up to today's midnight (UTC) as ``hhdc`` / ``manufacturer`` collections
    (values as the in-process driver reports them, Wh). ``bump`` is added to one HHDC value."""
    now = sim.meter_now()
    end = datetime(now.year, now.month, now.day, tzinfo=UTC)
    rows = sim.profile_rows(end - timedelta(days=days), end)
    chans = [Channel(c.obis, "Wh") for c in sim.description.channels]
    out = {}
    for source in sources:
        cid = store.new_collection(sid, source, meta={"file": f"{source}.csv"})
        block = [
            ProfileRow(t, [float(v) + (bump if (source, i, j) == ("hhdc", 5, 0) else 0.0)
                           for j, v in enumerate(vals)], st)  # fmt: skip
            for i, (t, vals, st) in enumerate(rows)
        ]
        store.add_profile_block(cid, chans, block)
        out[source] = cid
    return out


def make_sim(*defects: str, days: int = 3, clock=None) -> SimMeter:
    return SimMeter(
        MeterDescription.load("prometer100"), seed=7, days=days, defects=defects, clock=clock
    )


def factory_for(sim: SimMeter, **kw):
    """meter_factory(**overrides) as the engine expects."""

    def factory(**overrides):
        return SimDriver(sim, overrides.get("password", PASSWORD), **kw)

    return factory


@pytest.fixture
def sim_engine(store, session):
    """Build (engine, sim) for a template with the given defects."""
    from bench_app.checklist import ChecklistEngine, find_template

    def build(
        template="bscp601-protocol-cop1-2-3-5-10",
        *defects,
        control=True,
        prompt=None,
        days=3,
        clock=None,
        sleep=None,
        exports=False,
        **kw,
    ):
        sim = make_sim(*defects, days=max(days, 22) if exports else days, clock=clock)
        if exports:
            add_exports(store, session, sim)
        engine = ChecklistEngine(
            store,
            session,
            find_template(template),
            factory_for(sim, **kw),
            BenchControl(sim) if control else None,
            prompt,
            protocol="dlms",
            password=PASSWORD,
            now=(clock or (lambda: datetime.now(UTC))),
            sleep=sleep or (lambda s: None),
        )
        return engine, sim

    return build


@pytest.fixture
def sim_parts():
    """(make_sim, factory_for) for tests that build their own engine."""
    return make_sim, factory_for
