#!/usr/bin/env python3
"""bench/report.py - CSV files and an SVG chart from a bench/run raw log.

    bench/report.py RAW_LOG [OUT_DIR]

Reads the RESULT lines of RAW_LOG (bench/run's raw.log: one line per benchmark per process,
each prefixed with round=N) and writes, in OUT_DIR (default: the log's directory):

  results-raw.csv  every RESULT line: round, runtime, workload, size, config, threads, tasks,
                   reps, ns_per_task, total_ms, min_ms, cpu_ms, sys_ms, maxrss_kb
  results.csv      one row per runtime, workload, size and config: the median over the rounds
                   of ns_per_task, total_ms and maxrss_kb, the best round (min_ms, and its
                   ns_per_task), and ratio_to_libomp = ns_per_task / libomp's ns_per_task for
                   the same workload and size (empty when libomp did not run it)
  chart.svg        grouped bars: ns per task (median over the rounds, log scale) per workload,
                   one bar per runtime; the floods show arayon's default bound

and prints a table of ns per task with the ratio to libomp, then the files' paths.
Standard library only (no gnuplot, no matplotlib).
"""
import csv
import math
import os
import statistics
import sys
from collections import OrderedDict

RUNTIMES = ["arayon", "arayon-omp", "libomp", "arayon-gomp", "libgomp", "tbb"]
COLORS = {
    "arayon": "#d62728",
    "arayon-omp": "#ff9896",
    "libomp": "#1f77b4",
    "arayon-gomp": "#ffbb78",
    "libgomp": "#2ca02c",
    "tbb": "#9467bd",
}
# workload order in the table and the chart
ORDER = ["fib", "nqueens", "uts", "reduce", "stream", "flat_out", "flat_in", "flood_out",
         "flood_in"]
RAW_FIELDS = ["round", "runtime", "workload", "size", "config", "threads", "tasks", "reps",
              "ns_per_task", "total_ms", "min_ms", "cpu_ms", "sys_ms", "maxrss_kb"]


def parse(path):
    rows = []
    with open(path, errors="replace") as f:
        for line in f:
            parts = line.split()
            if "RESULT" not in parts:
                continue
            rnd = ""
            if parts and parts[0].startswith("round="):
                rnd = parts[0][6:]
            kv = {}
            for p in parts[parts.index("RESULT") + 1:]:
                if "=" in p:
                    k, v = p.split("=", 1)
                    kv[k] = v
            if "runtime" not in kv or "bench" not in kv:
                continue
            try:
                row = {
                    "round": rnd,
                    "runtime": kv["runtime"],
                    "workload": kv["bench"],
                    "size": int(kv.get("n", "0")),
                    "config": kv.get("config", ""),
                    "threads": int(kv.get("threads", "0")),
                    "tasks": int(float(kv.get("tasks", "0"))),
                    "reps": int(kv.get("reps", "1")),
                    "ns_per_task": float(kv["ns_per_task"]),
                    "total_ms": float(kv["total_ms"]),
                    "min_ms": float(kv.get("min_ms", kv["total_ms"])),
                    "cpu_ms": float(kv.get("cpu_ms", "0")),
                    "sys_ms": float(kv.get("sys_ms", "0")),
                    "maxrss_kb": int(kv.get("maxrss_kb", "0")),
                }
            except (KeyError, ValueError):
                continue
            rows.append(row)
    return rows


def workload_rank(w):
    return ORDER.index(w) if w in ORDER else len(ORDER)


def runtime_rank(r):
    return RUNTIMES.index(r) if r in RUNTIMES else len(RUNTIMES)


def aggregate(rows):
    groups = OrderedDict()
    for r in rows:
        key = (r["runtime"], r["workload"], r["size"], r["config"], r["threads"])
        groups.setdefault(key, []).append(r)
    agg = []
    for (rt, w, n, cfg, th), rs in groups.items():
        best = min(rs, key=lambda x: x["total_ms"])
        agg.append({
            "runtime": rt, "workload": w, "size": n, "config": cfg, "threads": th,
            "rounds": len(rs), "tasks": rs[0]["tasks"],
            "median_ms": statistics.median(x["total_ms"] for x in rs),
            "min_ms": min(x["min_ms"] for x in rs),
            "ns_per_task": statistics.median(x["ns_per_task"] for x in rs),
            "ns_per_task_best": best["ns_per_task"],
            "maxrss_kb": int(statistics.median(x["maxrss_kb"] for x in rs)),
        })
    # ratio to libomp: libomp's row for the same workload, size and threads
    lib = {(a["workload"], a["size"], a["threads"]): a["ns_per_task"]
           for a in agg if a["runtime"] == "libomp"}
    for a in agg:
        ref = lib.get((a["workload"], a["size"], a["threads"]))
        a["ratio_to_libomp"] = (a["ns_per_task"] / ref) if ref else None
    agg.sort(key=lambda a: (workload_rank(a["workload"]), a["workload"], a["size"],
                            runtime_rank(a["runtime"]), a["runtime"], a["config"]))
    return agg


def write_csvs(rows, agg, out_dir):
    raw_csv = os.path.join(out_dir, "results-raw.csv")
    with open(raw_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(RAW_FIELDS)
        for r in rows:
            w.writerow([r[k] for k in RAW_FIELDS])
    res_csv = os.path.join(out_dir, "results.csv")
    with open(res_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["runtime", "workload", "size", "config", "threads", "rounds", "tasks",
                    "median_ms", "min_ms", "ns_per_task", "ns_per_task_best", "maxrss_kb",
                    "ratio_to_libomp"])
        for a in agg:
            w.writerow([a["runtime"], a["workload"], a["size"], a["config"], a["threads"],
                        a["rounds"], a["tasks"], "%.4f" % a["median_ms"], "%.4f" % a["min_ms"],
                        "%.3f" % a["ns_per_task"], "%.3f" % a["ns_per_task_best"],
                        a["maxrss_kb"],
                        "" if a["ratio_to_libomp"] is None else "%.3f" % a["ratio_to_libomp"]])
    return raw_csv, res_csv


def chart_rows(agg):
    """(label, {runtime: ns}) per workload and size, runtimes of RUNTIMES only; for a flood,
    arayon's default bound and the peers' own throttling."""
    cells = OrderedDict()
    for a in agg:
        if a["runtime"] not in RUNTIMES:
            continue
        if a["workload"].startswith("flood") and a["runtime"] == "arayon" and a["config"] != "default":
            continue
        w, n = a["workload"], a["size"]
        if w in ("fib", "nqueens", "uts"):
            label = "%s(%d)" % (w, n)
        else:
            label = "%s %s" % (w, human(n))
        cells.setdefault(label, {})[a["runtime"]] = a["ns_per_task"]
    return cells


def human(n):
    for div, suf in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if n >= div and (n * 10) % div == 0:
            return "%g%s" % (n / div, suf)
    return str(n)


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_svg(agg, out_dir, title):
    cells = chart_rows(agg)
    path = os.path.join(out_dir, "chart.svg")
    rts = [r for r in RUNTIMES if any(r in c for c in cells.values())]
    vals = [v for c in cells.values() for v in c.values() if v > 0]
    if not cells or not vals:
        with open(path, "w") as f:
            f.write('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="60">'
                    '<text x="10" y="30">no results</text></svg>\n')
        return path
    lo = 10 ** math.floor(math.log10(min(vals)))
    hi = 10 ** math.ceil(math.log10(max(vals)))
    if hi <= lo:
        hi = lo * 10
    bar_w, gap = 14, 18
    group_w = bar_w * len(rts) + gap
    left, right, top, bottom = 70, 20, 60, 110
    plot_h = 360
    width = left + right + group_w * len(cells)
    height = top + plot_h + bottom

    def y(v):
        return top + plot_h * (1 - (math.log10(v) - math.log10(lo)) /
                               (math.log10(hi) - math.log10(lo)))

    out = []
    out.append('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
               'font-family="sans-serif" font-size="11">' % (width, height))
    out.append('<rect width="100%" height="100%" fill="white"/>')
    out.append('<text x="%d" y="20" font-size="14" font-weight="bold">%s</text>'
               % (left, esc(title)))
    out.append('<text x="%d" y="38" fill="#444">ns per task (per item for reduce and stream), '
               'median over the rounds, log scale; lower is better</text>' % left)
    # grid and y axis labels: every decade, with 2 and 5 in between
    d = lo
    while d <= hi * 1.0001:
        for m in (1, 2, 5):
            v = d * m
            if v < lo or v > hi * 1.0001:
                continue
            yy = y(v)
            out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s"/>'
                       % (left, width - right, yy, yy, "#bbb" if m == 1 else "#eee"))
            out.append('<text x="%d" y="%.1f" text-anchor="end" fill="#444">%s</text>'
                       % (left - 6, yy + 4, ("%g" % v)))
        d *= 10
    out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="black"/>'
               % (left, left, top, top + plot_h))
    for gi, (label, c) in enumerate(cells.items()):
        x0 = left + gi * group_w + gap / 2
        for ri, rt in enumerate(rts):
            v = c.get(rt)
            if not v or v <= 0:
                continue
            x = x0 + ri * bar_w
            yy = y(v)
            out.append('<rect x="%.1f" y="%.1f" width="%d" height="%.1f" fill="%s">'
                       '<title>%s %s: %.2f ns</title></rect>'
                       % (x, yy, bar_w - 2, top + plot_h - yy, COLORS.get(rt, "#777"),
                          esc(rt), esc(label), v))
        cx = x0 + bar_w * len(rts) / 2
        out.append('<text x="%.1f" y="%d" text-anchor="end" transform="rotate(-35 %.1f %d)">%s'
                   '</text>' % (cx, top + plot_h + 14, cx, top + plot_h + 14, esc(label)))
    # legend
    lx = left
    ly = height - 18
    for rt in rts:
        out.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>'
                   % (lx, ly - 10, COLORS.get(rt, "#777")))
        out.append('<text x="%d" y="%d">%s</text>' % (lx + 16, ly, esc(rt)))
        lx += 30 + 7 * len(rt)
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return path


def print_table(agg):
    cells = OrderedDict()
    present = set()
    for a in agg:
        if a["runtime"] not in RUNTIMES:
            continue
        if a["workload"].startswith("flood") and a["runtime"] == "arayon" and a["config"] != "default":
            continue
        key = (a["workload"], a["size"])
        cells.setdefault(key, {})[a["runtime"]] = a
        present.add(a["runtime"])
    rts = [r for r in RUNTIMES if r in present]
    if not cells:
        return
    print("ns per task (median over the rounds) and x libomp = ns / libomp ns (<1: faster than libomp)")
    print("(floods: arayon with its default bound, the peers with their own throttling)")
    print()
    print("%-20s" % "workload" + "".join(" %20s" % r for r in rts))
    for (w, n), c in cells.items():
        line = "%-20s" % ("%s %d" % (w, n))
        for r in rts:
            a = c.get(r)
            if not a:
                line += " %20s" % "n/a"
            elif a["ratio_to_libomp"] is None or r == "libomp":
                line += " %20s" % fmt(a["ns_per_task"])
            else:
                line += " %20s" % ("%s (%.2fx)" % (fmt(a["ns_per_task"]), a["ratio_to_libomp"]))
        print(line)


def fmt(x):
    return "%.2f" % x if x < 10 else ("%.1f" % x if x < 1000 else "%.0f" % x)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    raw = argv[1]
    out_dir = argv[2] if len(argv) > 2 else os.path.dirname(os.path.abspath(raw))
    rows = parse(raw)
    if not rows:
        print("report.py: no RESULT lines in %s" % raw, file=sys.stderr)
        return 1
    agg = aggregate(rows)
    # uts: every runtime must have counted the same tree
    uts = {}
    for r in rows:
        if r["workload"] == "uts":
            uts.setdefault(r["size"], set()).add(r["tasks"])
    for n, counts in uts.items():
        if len(counts) > 1:
            print("WARN uts(%d): the runtimes counted different trees: %s" % (n, sorted(counts)))
    threads = sorted({a["threads"] for a in agg if a["runtime"] in RUNTIMES})
    title = "arayon and its peers, %s thread(s) (%s)" % (
        ",".join(str(t) for t in threads), os.path.basename(os.path.dirname(os.path.abspath(raw))))
    raw_csv, res_csv = write_csvs(rows, agg, out_dir)
    svg = write_svg(agg, out_dir, title)
    print_table(agg)
    print()
    print("csv:   %s" % res_csv)
    print("csv:   %s (every RESULT line)" % raw_csv)
    print("chart: %s" % svg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
