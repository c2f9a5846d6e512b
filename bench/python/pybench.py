"""CPython side of geventgo's benchmarks.

Measures, in this interpreter, the Python originals of the operations that
bench/*_test.go measures in Go, and prints one JSON object to stdout:
{"python": "3.11.2", "gevent": "22.10.2", "greenlet": "2.0.2",
 "ops": {"GeneratorSend": ns_per_op, ...}}.
Operations whose module is missing are left out (and listed in "missing").

Run with Debian's interpreter, which has python3-gevent and python3-greenlet:
    /usr/bin/python3 bench/python/pybench.py [--short] [--scale]
Each figure is the best of several repeats of a timed loop, in ns per op,
using the same definition of "op" as the Go benchmark of the same name.
"""

import argparse
import json
import multiprocessing
import sys
import time


def best_ns(fn, n, repeat):
    """Best time per op over `repeat` runs of fn(n), in nanoseconds."""
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter_ns()
        fn(n)
        dt = (time.perf_counter_ns() - t0) / n
        best = dt if best is None or dt < best else best
    return best


def consumer():
    """Seed 001's consumer: adds what is sent, yields the running total."""
    total = 0
    while True:
        v = yield total
        total += v


def gen_send(n):
    g = consumer()
    next(g)
    send = g.send
    for i in range(n):
        send(i)


def gen_range(n):
    def produce(k):
        for i in range(k):
            yield i
    for _ in produce(n):
        pass


def gen_new(n):
    def short():
        yield 1
        yield 2
        return 3
    for _ in range(n):
        for _ in short():
            pass


def greenlet_switch(n):
    from greenlet import greenlet, getcurrent
    main = getcurrent()

    def child():
        while True:
            main.switch()
    g = greenlet(child)
    sw = g.switch
    # one op = one switch; a round trip is two switches
    for _ in range(n // 2):
        sw()


def best_timed_ns(fn, n, repeat):
    """Like best_ns, for an fn(n) that times its own loop (leaving its
    set-up out) and returns the elapsed nanoseconds."""
    return min(fn(n) for _ in range(repeat)) / n


def live_gen_send(live):
    """One op = one send, round robin over `live` suspended generators."""
    def run(n):
        gens = [consumer() for _ in range(live)]
        for g in gens:
            next(g)
        sends = [g.send for g in gens]
        t0 = time.perf_counter_ns()
        for i in range(n):
            sends[i % live](i)
        return time.perf_counter_ns() - t0
    return run


def live_greenlet_switch(live):
    """One op = one switch, main round robin over `live` parked greenlets."""
    def run(n):
        from greenlet import greenlet, getcurrent
        main = getcurrent()

        def child(v):
            while True:
                v = main.switch(v + 1)
        gs = [greenlet(child) for _ in range(live)]
        for g in gs:
            g.switch(0)
        sws = [g.switch for g in gs]
        t0 = time.perf_counter_ns()
        for i in range(0, n, 2):  # a round trip is two switches
            sws[(i // 2) % live](i)
        dt = time.perf_counter_ns() - t0
        for g in gs:
            g.throw()  # GreenletExit ends each child
        return dt
    return run


def gevent_spawn_joinall(n):
    import gevent
    batch = 1000
    f = _noop
    for _ in range(max(1, n // batch)):
        gevent.joinall([gevent.spawn(f) for _ in range(batch)])


def _noop(*a):
    return None


def _ident(x):
    return x


def gevent_pool_map(n):
    from gevent.pool import Pool
    p = Pool(100)
    p.map(_ident, range(n))


def mp_pool_map(n):
    with multiprocessing.Pool(2) as p:
        p.map(_ident, range(n))


def gevent_queue_put_get(n):
    import gevent
    from gevent.queue import Queue
    q = Queue(100)

    def producer():
        put = q.put
        for i in range(n):
            put(i)

    def consumer():
        get = q.get
        for _ in range(n):
            get()
    gevent.joinall([gevent.spawn(producer), gevent.spawn(consumer)])


def gevent_sleep0_switch(n):
    import gevent

    def pinger(k):
        for _ in range(k):
            gevent.sleep(0)
    # two green threads each yielding n/2 times: n switches in all
    gevent.joinall([gevent.spawn(pinger, n // 2), gevent.spawn(pinger, n // 2)])


def gevent_event_wait(n):
    import gevent
    from gevent.event import Event
    # one op = set an event a waiting green thread is blocked on, and it wakes
    for _ in range(n):
        e = Event()
        g = gevent.spawn(e.wait)
        gevent.sleep(0)
        e.set()
        g.join()


def gevent_lock(n):
    from gevent.lock import Semaphore
    lk = Semaphore(1)
    acq, rel = lk.acquire, lk.release
    for _ in range(n):
        acq()
        rel()


OPS = [
    # name, function, iterations (full), needs
    ("GeneratorSend", gen_send, 2_000_000, None),
    ("GeneratorRange", gen_range, 2_000_000, None),
    ("GeneratorNew", gen_new, 500_000, None),
    ("GreenletSwitch", greenlet_switch, 1_000_000, "greenlet"),
    ("SpawnJoinAll", gevent_spawn_joinall, 200_000, "gevent"),
    ("PoolMap", gevent_pool_map, 200_000, "gevent"),
    ("MultiprocessingPoolMap", mp_pool_map, 200_000, None),
    ("QueuePutGet", gevent_queue_put_get, 200_000, "gevent"),
    ("HubSwitch", gevent_sleep0_switch, 200_000, "gevent"),
    ("HubSpawnJoinAll", gevent_spawn_joinall, 200_000, "gevent"),
    ("EventWait", gevent_event_wait, 50_000, "gevent"),
    ("Lock", gevent_lock, 1_000_000, "gevent"),
]

SCALE = [1_000, 10_000, 100_000, 1_000_000]
LIVE = [1, 10_000]  # live coroutines for the generator and greenlet scaling rows


def have(mod):
    try:
        __import__(mod)
        return True
    except ImportError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--short", action="store_true", help="tiny iteration counts, one repeat (CI smoke run)")
    ap.add_argument("--scale", action="store_true", help="also spawn+joinall and Pool.map at 1k..1M tasks, send and switch at 1 and 10k live coroutines")
    ap.add_argument("--only", default="", help="comma-separated operation names")
    args = ap.parse_args()

    out = {"python": sys.version.split()[0], "ops": {}, "scale": {}, "missing": []}
    for mod in ("gevent", "greenlet"):
        if have(mod):
            out[mod] = __import__(mod).__version__
    only = set(filter(None, args.only.split(",")))
    repeat = 1 if args.short else 3
    for name, fn, n, needs in OPS:
        if only and name not in only:
            continue
        if needs and not have(needs):
            out["missing"].append(name)
            continue
        iters = max(1000, n // 1000) if args.short else n
        out["ops"][name] = round(best_ns(fn, iters, repeat), 1)
    if args.scale and have("gevent"):
        sizes = SCALE[:2] if args.short else SCALE
        for size in sizes:
            out["scale"].setdefault("SpawnJoinAll", {})[str(size)] = round(best_ns(gevent_spawn_joinall, size, 1), 1)
            out["scale"].setdefault("PoolMap", {})[str(size)] = round(best_ns(gevent_pool_map, size, 1), 1)
    if args.scale:
        iters = 20_000 if args.short else 1_000_000
        for live in LIVE:
            out["scale"].setdefault("GeneratorSend", {})[str(live)] = round(best_timed_ns(live_gen_send(live), iters, repeat), 1)
            if have("greenlet"):
                out["scale"].setdefault("GreenletSwitch", {})[str(live)] = round(
                    best_timed_ns(live_greenlet_switch(live), iters, repeat), 1)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
