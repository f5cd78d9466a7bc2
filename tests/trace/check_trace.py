#!/usr/bin/env python3
"""check_trace.py - validates a Chrome trace-event JSON file written by arayon's recorder.

    check_trace.py FILE [--workers N] [--spawned N] [--completed N] [--failed N]
                        [--cancelled N] [--timed-out N] [--all-ran] [--dropped N]
                        [--dropped-positive] [--require NAME ...] [--flows-required]
                        [--outside-tracks]

Always checked:
  - the file is valid JSON (strict: no NaN, no trailing garbage) with a traceEvents list;
  - every event has name, ph, pid; every event but counters and process metadata has a tid
    and every non-metadata event a numeric ts >= 0;
  - every track (pid, tid) that has events has a thread_name metadata event;
  - complete events ("X") have dur >= 0, and on each track they nest properly: two spans
    are either disjoint or one contains the other (times compared in integer ns);
  - there are no B/E events left unbalanced (the recorder writes X only, but B/E would be
    checked per track as a stack);
  - every flow start ("s") has exactly one flow end ("f") with the same id and category,
    not earlier, on another track, and vice versa; the "f" end lies on a task span of its
    track that starts at the flow's time;
  - task spans carry unique ids; every spawn slice's id appears at most once as a task span,
    and a task span whose id has a spawn slice has only one;
  - the counter tracks "queued tasks" and "pending tasks" have samples.
Options add: the workers' track names ("worker i (PU p, node k)", i < N), the numbers of
spawn slices and of task spans by outcome, every spawned task ran (--all-ran), the dropped
count (otherData.dropped), event names that must occur (--require), at least one flow.
Exit 0 when everything holds; 1 with the reasons otherwise.
"""
import argparse
import json
import re
import sys
from collections import defaultdict


def fail(errors, msg):
    errors.append(msg)


def ns(v):
    # ts and dur are microseconds with 3 decimals: compare exact integer nanoseconds
    return int(round(float(v) * 1000.0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--workers", type=int)
    ap.add_argument("--spawned", type=int)
    ap.add_argument("--completed", type=int)
    ap.add_argument("--failed", type=int)
    ap.add_argument("--cancelled", type=int)
    ap.add_argument("--timed-out", type=int)
    ap.add_argument("--all-ran", action="store_true")
    ap.add_argument("--dropped", type=int)
    ap.add_argument("--dropped-positive", action="store_true")
    ap.add_argument("--require", action="append", default=[])
    ap.add_argument("--flows-required", action="store_true")
    ap.add_argument("--outside-tracks", action="store_true")
    args = ap.parse_args()

    errors = []

    def bad_constant(c):
        raise ValueError("non-standard JSON constant " + c)

    try:
        with open(args.file, "rb") as f:
            raw = f.read()
        doc = json.loads(raw.decode("utf-8"), parse_constant=bad_constant)
    except Exception as e:  # noqa: BLE001 - any parse problem is a failure
        print(f"{args.file}: not valid JSON: {e}")
        return 1
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        print(f"{args.file}: no traceEvents list")
        return 1
    evs = doc["traceEvents"]
    other = doc.get("otherData", {})

    names = {}      # (pid, tid) -> thread name
    used = set()    # tracks with events
    spans = defaultdict(list)  # track -> [(start, end, ev)]
    be = defaultdict(list)
    flows_s = defaultdict(list)
    flows_f = defaultdict(list)
    counters = defaultdict(int)
    seen_names = defaultdict(int)
    for i, e in enumerate(evs):
        if not isinstance(e, dict):
            fail(errors, f"event {i} is not an object")
            continue
        for k in ("name", "ph", "pid"):
            if k not in e:
                fail(errors, f"event {i} has no {k}: {e}")
        ph = e.get("ph")
        name = e.get("name")
        seen_names[name] += 1
        if ph == "M":
            if name == "thread_name":
                if "tid" not in e or not isinstance(e.get("args", {}).get("name"), str):
                    fail(errors, f"bad thread_name event {e}")
                else:
                    names[(e["pid"], e["tid"])] = e["args"]["name"]
            continue
        ts = e.get("ts")
        if not isinstance(ts, (int, float)) or ts < 0:
            fail(errors, f"event {i} has a bad ts: {e}")
            continue
        if ph == "C":
            a = e.get("args")
            if not isinstance(a, dict) or not a or not all(isinstance(v, (int, float)) for v in a.values()):
                fail(errors, f"counter without numeric args: {e}")
            counters[name] += 1
            continue
        if "tid" not in e:
            fail(errors, f"event {i} has no tid: {e}")
            continue
        track = (e["pid"], e["tid"])
        used.add(track)
        if ph == "X":
            dur = e.get("dur")
            if not isinstance(dur, (int, float)) or dur < 0:
                fail(errors, f"span with a bad dur: {e}")
                continue
            s = ns(ts)
            spans[track].append((s, s + ns(dur), e))
        elif ph in ("B", "E"):
            be[track].append((ns(ts), i, ph, e))
        elif ph == "s":
            flows_s[(e.get("cat"), e.get("id"))].append((ns(ts), track, e))
        elif ph == "f":
            flows_f[(e.get("cat"), e.get("id"))].append((ns(ts), track, e))
        elif ph in ("i", "I"):
            pass
        else:
            fail(errors, f"unexpected phase {ph!r}: {e}")

    for t in sorted(used):
        if t not in names:
            fail(errors, f"track {t} has events but no thread_name")

    # Nesting per track: sort by start, longer first; a stack of open spans.
    for t, lst in spans.items():
        lst.sort(key=lambda x: (x[0], -x[1]))
        stack = []
        for s, end, e in lst:
            while stack and s >= stack[-1][1]:
                stack.pop()  # spans that ended (a zero-length one included)
            if stack and end > stack[-1][1]:
                o = stack[-1][2]
                fail(errors, f"spans overlap on track {t}: {o['name']} [{stack[-1][0]}, {stack[-1][1]}] "
                             f"and {e['name']} [{s}, {end}]")
                continue
            stack.append((s, end, e))
    for t, lst in be.items():
        lst.sort()
        depth = 0
        for _, _, ph, e in lst:
            depth += 1 if ph == "B" else -1
            if depth < 0:
                fail(errors, f"E without B on track {t}: {e}")
                depth = 0
        if depth:
            fail(errors, f"{depth} B events without E on track {t}")

    # Task ids.
    task_spans = [e for lst in spans.values() for (_, _, e) in lst if e.get("name") == "task"]
    spawn_slices = [e for lst in spans.values() for (_, _, e) in lst if e.get("name") == "spawn"]
    run_ids = defaultdict(int)
    for e in task_spans:
        tid_ = e.get("args", {}).get("id")
        if not isinstance(tid_, int) or tid_ <= 0:
            fail(errors, f"task span without a positive id: {e}")
        run_ids[tid_] += 1
    for k, n in run_ids.items():
        if n != 1:
            fail(errors, f"task id {k} appears as {n} spans")
    spawn_ids = defaultdict(int)
    for e in spawn_slices:
        spawn_ids[e.get("args", {}).get("id")] += 1
    for k, n in spawn_ids.items():
        if n != 1:
            fail(errors, f"spawn id {k} appears {n} times")
    if args.all_ran:
        missing = [k for k in spawn_ids if k not in run_ids]
        if missing:
            fail(errors, f"{len(missing)} spawned tasks never appear as a span, e.g. {missing[:5]}")

    # Flows.
    span_starts = defaultdict(set)
    for t, lst in spans.items():
        for s, _, e in lst:
            if e.get("name") == "task":
                span_starts[t].add(s)
    for key in set(flows_s) | set(flows_f):
        ss, ff = flows_s.get(key, []), flows_f.get(key, [])
        if len(ss) != 1 or len(ff) != 1:
            fail(errors, f"flow {key}: {len(ss)} starts and {len(ff)} ends")
            continue
        (s_ts, s_tr, _), (f_ts, f_tr, fe) = ss[0], ff[0]
        if f_ts < s_ts:
            fail(errors, f"flow {key} ends before it starts ({f_ts} < {s_ts})")
        if s_tr == f_tr:
            fail(errors, f"flow {key} stays on track {s_tr}")
        if f_ts not in span_starts[f_tr]:
            fail(errors, f"flow {key} end at {f_ts} on {f_tr} is not at the start of a task span")
    nflows = len(flows_s)
    if args.flows_required and nflows == 0:
        fail(errors, "no flow events")

    for c in ("queued tasks", "pending tasks"):
        if counters[c] == 0:
            fail(errors, f"no samples of the counter {c!r}")

    if args.workers is not None:
        pat = re.compile(r"^worker (\d+) \(PU (-?\d+|\?), node (\d+)\)$")
        found = set()
        for nm in names.values():
            m = pat.match(nm)
            if m:
                found.add(int(m.group(1)))
        for i in range(args.workers):
            if i not in found:
                fail(errors, f"no track named 'worker {i} (PU p, node k)'; names: {sorted(names.values())}")
    if args.outside_tracks and not any(nm.startswith("outside thread ") for nm in names.values()):
        fail(errors, "no outside thread track")

    def count_outcome(o):
        return sum(1 for e in task_spans if e.get("args", {}).get("outcome") == o)

    if args.spawned is not None and len(spawn_slices) != args.spawned:
        fail(errors, f"{len(spawn_slices)} spawn slices, metrics say {args.spawned} spawned")
    for opt, o in ((args.completed, "ok"), (args.failed, "failed"), (args.cancelled, "cancelled"),
                   (args.timed_out, "timed out")):
        if opt is not None and count_outcome(o) != opt:
            fail(errors, f"{count_outcome(o)} task spans with outcome {o!r}, metrics say {opt}")
    dropped = other.get("dropped")
    if not isinstance(dropped, int):
        fail(errors, "otherData.dropped missing")
    else:
        if args.dropped is not None and dropped != args.dropped:
            fail(errors, f"otherData.dropped is {dropped}, expected {args.dropped}")
        if args.dropped_positive and dropped <= 0:
            fail(errors, "otherData.dropped is 0, expected events to be dropped")
    for r in args.require:
        if seen_names.get(r, 0) == 0:
            fail(errors, f"no event named {r!r}; names seen: {sorted(k for k in seen_names if k)}")

    if errors:
        for m in errors[:40]:
            print(f"{args.file}: {m}")
        if len(errors) > 40:
            print(f"{args.file}: ... {len(errors) - 40} more")
        return 1
    print(f"{args.file}: OK: {len(evs)} events, {len(task_spans)} task spans, {len(spawn_slices)} spawns, "
          f"{nflows} flows, {len(used)} tracks, dropped {dropped}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
