#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets: tests/fuzz/corpus/<target>/seed-*.

Run it again after changing the seeds below (it rewrites every seed-* file and leaves the
other files, crash-* and the inputs kept from fuzzing runs, alone). The input formats are
described at the top of each fuzz_<target>.c.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def env_file(*records, pool=False):
    """Lines NAME=value; pool=True ends the input with an odd byte (fuzz_env: make a pool)."""
    data = "\n".join("%s=%s" % r for r in records)
    if pool:
        data += "\nARAYON_FUZZ_BOOL=1"
    return data.encode()


def omp_env_seeds():
    s = {}
    one = [
        # valid values
        ("num-threads", "OMP_NUM_THREADS", "4"),
        ("num-threads-list", "OMP_NUM_THREADS", "4,2,1"),
        ("schedule-dynamic", "OMP_SCHEDULE", "dynamic,4"),
        ("schedule-modifier", "OMP_SCHEDULE", "nonmonotonic:guided , 16"),
        ("schedule-auto", "OMP_SCHEDULE", "monotonic:AUTO"),
        ("proc-bind-list", "OMP_PROC_BIND", "spread,close,primary"),
        ("places-cores", "OMP_PLACES", "cores"),
        ("places-count", "OMP_PLACES", "threads(4)"),
        ("places-intervals", "OMP_PLACES", "{0:4}:2:4,{8,9,10}"),
        ("places-exclusion", "OMP_PLACES", "!{0},{1:3:2},ll_caches"),
        ("stacksize", "OMP_STACKSIZE", "4M"),
        ("stacksize-bytes", "OMP_STACKSIZE", "65536B"),
        ("wait-policy", "OMP_WAIT_POLICY", "active"),
        ("max-active-levels", "OMP_MAX_ACTIVE_LEVELS", "3"),
        ("thread-limit", "OMP_THREAD_LIMIT", "8"),
        ("dynamic", "OMP_DYNAMIC", "TRUE"),
        ("nested", "OMP_NESTED", "yes"),
        ("cancellation", "OMP_CANCELLATION", "on"),
        ("task-priority", "OMP_MAX_TASK_PRIORITY", "10"),
        ("display-env", "OMP_DISPLAY_ENV", "verbose"),
        ("affinity-format", "OMP_AFFINITY_FORMAT",
         "OMP: pid %P tid %i thread %n bound to OS proc set {%A}"),
        ("affinity-format-fields", "OMP_AFFINITY_FORMAT",
         "%t %T %L %n %N %a %H %P %i %A %0.4n|%.6N|%8L|%%|%{thread_num}|%{host}"),
        ("affinity-format-bad", "OMP_AFFINITY_FORMAT", "%{unknown} %{thread_num %q %"),
        ("allocator-predefined", "OMP_ALLOCATOR", "omp_high_bw_mem_alloc"),
        ("allocator-space", "OMP_ALLOCATOR",
         "omp_large_cap_mem_space:alignment=64,pool_size=1048576,fallback=null_fb"),
        ("allocator-prefixes", "OMP_ALLOCATOR",
         " omp_default_mem_space : omp_atk_fallback = omp_atv_allocator_fb , "
         "fb_data=omp_low_lat_mem_alloc, partition=interleaved,access=pteam,sync_hint=private"),
        ("allocator-pinned", "OMP_ALLOCATOR", "omp_low_lat_mem_space:pinned=true,partition=blocked"),
        ("num-teams", "OMP_NUM_TEAMS", "4"),
        ("teams-thread-limit", "OMP_TEAMS_THREAD_LIMIT", "2"),
        ("blocktime", "KMP_BLOCKTIME", "200"),
        ("blocktime-units", "KMP_BLOCKTIME", "10us"),
        ("blocktime-infinite", "KMP_BLOCKTIME", "infinite"),
        ("throttling", "KMP_ENABLE_TASK_THROTTLING", "0"),
        ("spincount", "GOMP_SPINCOUNT", "300k"),
        ("spincount-infinite", "GOMP_SPINCOUNT", "INFINITY"),
        ("cpu-affinity", "GOMP_CPU_AFFINITY", "0 3 1-2 4-15:2"),
        ("max-pending", "ARAYON_MAX_PENDING", "1000"),
        ("full-policy", "ARAYON_FULL_POLICY", "run_inline"),
    ]
    for name, var, val in one:
        s[name] = env_file((var, val))
    # edge cases, many variables per file
    s["edge-empty"] = env_file(*[(v, "") for v in (
        "OMP_NUM_THREADS", "OMP_SCHEDULE", "OMP_PROC_BIND", "OMP_PLACES", "OMP_STACKSIZE",
        "OMP_ALLOCATOR", "KMP_BLOCKTIME", "GOMP_SPINCOUNT", "GOMP_CPU_AFFINITY",
        "OMP_AFFINITY_FORMAT", "OMP_DISPLAY_ENV")])
    s["edge-huge"] = env_file(
        ("OMP_NUM_THREADS", "99999999999999999999"), ("OMP_SCHEDULE", "dynamic,2147483648"),
        ("OMP_MAX_ACTIVE_LEVELS", "256"), ("OMP_THREAD_LIMIT", "2147483648"),
        ("OMP_MAX_TASK_PRIORITY", "9223372036854775808"), ("OMP_NUM_TEAMS", "2147483648"),
        ("KMP_BLOCKTIME", "18446744073709551615s"), ("GOMP_SPINCOUNT", "99999999999999T"),
        ("ARAYON_MAX_PENDING", "4611686018427387904"), ("OMP_PLACES", "threads(99999999999)"))
    s["edge-negative"] = env_file(
        ("OMP_NUM_THREADS", "-1"), ("OMP_SCHEDULE", "guided,-3"),
        ("OMP_MAX_ACTIVE_LEVELS", "-1"), ("OMP_THREAD_LIMIT", "0"), ("OMP_STACKSIZE", "-1M"),
        ("KMP_BLOCKTIME", "-1"), ("GOMP_SPINCOUNT", "-5"), ("GOMP_CPU_AFFINITY", "3-1"),
        ("OMP_PLACES", "cores(-1)"), ("ARAYON_MAX_PENDING", "-1"), ("OMP_NUM_TEAMS", "0"))
    s["edge-units"] = env_file(
        ("OMP_STACKSIZE", "1025G"), ("KMP_BLOCKTIME", "1h"), ("GOMP_SPINCOUNT", "1.5M"),
        ("OMP_SCHEDULE", "static,4x"), ("GOMP_CPU_AFFINITY", "0-3:0"),
        ("OMP_ALLOCATOR", "omp_default_mem_space:pool_size=18446744073709551616"))
    s["edge-units-max"] = env_file(
        ("OMP_STACKSIZE", "1024G"), ("KMP_BLOCKTIME", "18446744073709551ms"),
        ("GOMP_SPINCOUNT", "18446744073709551615"), ("OMP_NUM_THREADS", "4096"),
        ("OMP_ALLOCATOR", "omp_default_mem_space:alignment=1073741824,pool_size=1"))
    s["edge-unbalanced"] = env_file(
        ("OMP_PLACES", "{0,1},{2,3"), ("OMP_AFFINITY_FORMAT", "%{thread_affinity"),
        ("OMP_SCHEDULE", ":static"), ("OMP_PROC_BIND", ",close"),
        ("OMP_ALLOCATOR", "omp_default_mem_space:alignment=64,,"))
    s["edge-unbalanced-2"] = env_file(
        ("OMP_PLACES", "}{0:2}:{"), ("OMP_AFFINITY_FORMAT", "}%{}%{{}}"),
        ("OMP_SCHEDULE", "dynamic,"), ("GOMP_CPU_AFFINITY", "0-"),
        ("OMP_ALLOCATOR", "omp_default_mem_space:=64"))
    s["edge-blanks"] = env_file(
        ("OMP_NUM_THREADS", " 3"), ("OMP_SCHEDULE", " static , 8 "),
        ("OMP_STACKSIZE", " 8 M"), ("OMP_MAX_ACTIVE_LEVELS", "3 "),
        ("OMP_PROC_BIND", " spread"), ("GOMP_SPINCOUNT", "10k  "),
        ("OMP_ALLOCATOR", "  omp_const_mem_alloc  "))
    s["edge-case"] = env_file(
        ("OMP_SCHEDULE", "DYNAMIC"), ("OMP_PROC_BIND", "SpReAd"), ("OMP_WAIT_POLICY", "PASSIVE"),
        ("OMP_PLACES", "Sockets"), ("OMP_DISPLAY_ENV", "TRUE"),
        ("OMP_ALLOCATOR", "OMP_DEFAULT_MEM_ALLOC"))
    s["edge-long-word"] = env_file(
        ("OMP_PROC_BIND", "spreadspreadspreadspread,close"),
        ("OMP_SCHEDULE", "nonmonotonicnonmonotonic:static"),
        ("OMP_ALLOCATOR", "omp_default_mem_space:" + ",".join(["alignment=16"] * 17)))
    s["edge-allocator-bad"] = env_file(
        ("OMP_ALLOCATOR", "omp_default_mem_space:alignment=3,fallback=abort_fb,fb_data=omp_default_mem_space"))
    s["edge-allocator-abort"] = env_file(
        ("OMP_ALLOCATOR", "omp_default_mem_space:pool_size=16,fallback=abort_fb"))
    # interactions
    s["mix-bind-places"] = env_file(("OMP_PROC_BIND", "false"), ("OMP_PLACES", "cores"),
                                    ("GOMP_CPU_AFFINITY", "0 1"))
    s["mix-places-affinity"] = env_file(("OMP_PLACES", "sockets"), ("GOMP_CPU_AFFINITY", "1,0"))
    s["mix-affinity"] = env_file(("GOMP_CPU_AFFINITY", "0-1,1000,0"), ("OMP_PROC_BIND", "true"))
    s["mix-throttle"] = env_file(("KMP_ENABLE_TASK_THROTTLING", "false"),
                                 ("ARAYON_MAX_PENDING", "x"), ("ARAYON_FULL_POLICY", "reject"),
                                 ("OMP_NUM_THREADS", "8"))
    s["mix-levels"] = env_file(("OMP_NESTED", "true"), ("OMP_MAX_ACTIVE_LEVELS", "300"))
    s["mix-waits"] = env_file(("OMP_WAIT_POLICY", "passive"), ("GOMP_SPINCOUNT", "0"),
                              ("KMP_BLOCKTIME", "5ms"), ("OMP_DISPLAY_ENV", "1"))
    s["mix-display"] = env_file(("OMP_DISPLAY_ENV", "true"), ("OMP_SCHEDULE", "guided,7"),
                                ("OMP_PROC_BIND", "spread"), ("OMP_STACKSIZE", "16"),
                                ("OMP_CANCELLATION", "maybe"), ("OMP_DYNAMIC", "2"))
    s["selector-bytes"] = b"\x00" + b"8\n\x01dynamic\n\x04512K\n\x0d%n"
    return s


def arayon_env_seeds():
    s = {}
    one = [
        ("num-threads", "ARAYON_NUM_THREADS", "2"),
        ("num-threads-max", "ARAYON_NUM_THREADS", "4096"),
        ("num-threads-over", "ARAYON_NUM_THREADS", "4097"),
        ("spin", "ARAYON_SPIN_US", "1000000"),
        ("spin-over", "ARAYON_SPIN_US", "1000001"),
        ("max-pending", "ARAYON_MAX_PENDING", "4611686018427387903"),
        ("max-pending-over", "ARAYON_MAX_PENDING", "4611686018427387904"),
        ("full-policy", "ARAYON_FULL_POLICY", "inline"),
        ("fiber-stack", "ARAYON_FIBER_STACK", "16K"),
        ("fiber-stack-max", "ARAYON_FIBER_STACK", "256m"),
        ("fiber-stack-over", "ARAYON_FIBER_STACK", "257M"),
        ("fiber-stack-under", "ARAYON_FIBER_STACK", "16383"),
        ("latency", "ARAYON_LATENCY", "on"),
        ("display", "ARAYON_DISPLAY_ENV", "verbose"),
        ("metrics-json", "ARAYON_METRICS", "json"),
        ("metrics-prom", "ARAYON_METRICS", "prometheus"),
        ("metrics-bad", "ARAYON_METRICS", "xml"),
        ("trace", "ARAYON_TRACE", "/nonexistent/trace.json"),
        ("trace-events", "ARAYON_TRACE_EVENTS", "67108864"),
        ("trace-overflow", "ARAYON_TRACE_OVERFLOW", "stop"),
        ("hwloc", "HWLOC_SYNTHETIC", "pack:2 core:2 pu:2"),
        ("hwloc-xml", "HWLOC_XMLFILE", "/nonexistent.xml"),
        ("long-min", "ARAYON_FUZZ_LONG", "-9223372036854775808"),
        ("long-over", "ARAYON_FUZZ_LONG", "9223372036854775808"),
        ("long-blanks", "ARAYON_FUZZ_LONG", " +7\t"),
        ("size-tib", "ARAYON_FUZZ_SIZE", "1024G"),
        ("size-over", "ARAYON_FUZZ_SIZE", "1099511627777B"),
        ("size-overflow", "ARAYON_FUZZ_SIZE", "18446744073709551615K"),
        ("size-blanks", "ARAYON_FUZZ_SIZE", " 64 k"),
        ("bool", "ARAYON_FUZZ_BOOL", "YeS"),
    ]
    for name, var, val in one:
        s[name] = env_file((var, val))
    s["edge-empty"] = env_file(*[(v, "") for v in (
        "ARAYON_NUM_THREADS", "ARAYON_SPIN_US", "ARAYON_MAX_PENDING", "ARAYON_FIBER_STACK",
        "ARAYON_METRICS", "ARAYON_TRACE", "ARAYON_FUZZ_SIZE")])
    s["edge-negative"] = env_file(
        ("ARAYON_NUM_THREADS", "-1"), ("ARAYON_SPIN_US", "-0"), ("ARAYON_MAX_PENDING", "-1"),
        ("ARAYON_FIBER_STACK", "-16K"), ("ARAYON_TRACE_EVENTS", "-16"),
        ("ARAYON_FUZZ_SIZE", "-1"), ("ARAYON_FUZZ_LONG", "-0"))
    s["edge-junk"] = env_file(
        ("ARAYON_NUM_THREADS", "2x"), ("ARAYON_SPIN_US", "0x10"), ("ARAYON_FIBER_STACK", "64KB"),
        ("ARAYON_FULL_POLICY", "Block"), ("ARAYON_LATENCY", "2"),
        ("ARAYON_TRACE_OVERFLOW", "drop_newest"), ("ARAYON_FUZZ_SIZE", "K"))
    # pools made from the environment
    s["pool-plain"] = env_file(("ARAYON_NUM_THREADS", "1"), pool=True)
    s["pool-all"] = env_file(
        ("ARAYON_NUM_THREADS", "2"), ("ARAYON_SPIN_US", "1"), ("ARAYON_MAX_PENDING", "0"),
        ("ARAYON_FULL_POLICY", "reject"), ("ARAYON_FIBER_STACK", "128K"),
        ("ARAYON_LATENCY", "true"), ("ARAYON_DISPLAY_ENV", "1"), ("ARAYON_METRICS", "json"),
        ("ARAYON_TRACE", "/nonexistent/t.json"), pool=True)
    s["pool-metrics"] = env_file(("ARAYON_METRICS", "prom"), ("ARAYON_LATENCY", "1"), pool=True)
    s["pool-bad"] = env_file(("ARAYON_NUM_THREADS", "9999"), ("ARAYON_FIBER_STACK", "1T"),
                             ("ARAYON_METRICS", "yes please"), pool=True)
    s["selector-bytes"] = b"\x00" + b"3\n\x04" + b"64K\n\x0725"
    return s


def topo_input(desc, policy=0, raw=False, pool=False, print_=False, mem=0, nworkers=4,
               pool_threads=2, auto=None, pus=(), cpu=0, mask=0, area=3, shift=12):
    flags = policy | (8 if raw else 0) | (16 if pool else 0) | (32 if print_ else 0) | (mem << 6)
    pb = (pool_threads - 1) % 3
    if auto is not None:
        pb |= 0x80 | (auto << 5)
    head = struct.pack("<BBBBbBBB", flags, nworkers, pb, len(pus), cpu, mask, area, shift)
    return head + b"".join(struct.pack("<H", p) for p in pus) + desc.encode()


def topo_seeds():
    s = {}
    machines = {
        "2pack": "pack:2 numa:1 core:4 pu:2",
        "numa4": "pack:2 numa:2 core:2 pu:2",
        "arities": "2 2 2",
        "caches": "pack:2 l3:1(size=32MB) l2:2 l1d:1 core:2 pu:2",
        "memory": "pack:2 [numa(memory=1GB)] l3:1 core:4 pu:2",
        "groups": "group:2 numa:2 core:1 pu:1",
        "indexes": "core:2 pu:2(indexes=0,2,1,3)",
        "indexes-sparse": "pu:4(indexes=0,2,1,40000)",
        "indexes-dup": "pu:2(indexes=5,5)",
        "numa-below-core": "core:2 numa:2 pu:1",
        "one-pu": "pu:1",
        "flat": "pu:64",
    }
    i = 0
    for name, d in machines.items():
        s["%s-close" % name] = topo_input(d, policy=1, pool=(i % 2 == 0), print_=True, mem=i % 4)
        s["%s-spread" % name] = topo_input(d, policy=2, nworkers=7, mem=(i + 1) % 4,
                                           mask=0b101, area=200, shift=12)
        i += 1
    s["list"] = topo_input("pack:2 core:2 pu:2", policy=3, pus=(7, 0, 3), pool=True,
                           print_=True, pool_threads=3)
    s["list-missing"] = topo_input("pack:2 core:2 pu:2", policy=3, pus=(8,), pool=True)
    s["list-huge"] = topo_input("pu:4", policy=3, pus=(0xffff, 0xfffe, 0xfffd), pool=True)
    s["list-empty"] = topo_input("pu:4", policy=3, pus=(), pool=True)
    s["policy-bad"] = topo_input("pu:4", policy=5, pool=True)
    s["policy-none"] = topo_input("numa:3 core:3 pu:1", policy=0, nworkers=200, pool=True,
                                  print_=True)
    s["zero-workers"] = topo_input("pu:2", policy=1, nworkers=0)
    s["auto-threads"] = topo_input("core:2 pu:1", policy=2, pool=True, auto=1)
    s["auto-twice"] = topo_input("core:1 pu:2", policy=1, pool=True, auto=2)
    s["raw-xml"] = topo_input("xml:/dev/null", raw=True, pool=True)
    s["raw-none"] = topo_input("pack:2 pu:2", raw=True, pool=True)
    s["raw-empty"] = topo_input("synthetic:   ", raw=True, pool=True)
    s["bad-zero"] = topo_input("pack:0 pu:1", policy=1, pool=True)
    s["bad-type"] = topo_input("machine:2 pu:1", policy=1, pool=True)
    s["bad-junk"] = topo_input("pack:2 core:(((", policy=2)
    s["bad-empty"] = topo_input("", policy=1, pool=True)
    s["mem-plans"] = topo_input("numa:4 pu:1", policy=1, mem=2, mask=0b1111, area=255,
                                shift=0, cpu=-1)
    s["mem-bad-node"] = topo_input("numa:2 pu:1", policy=1, mem=3, mask=0b11110000, area=9)
    s["mem-odd-page"] = topo_input("numa:8 pu:2", policy=2, mem=2, mask=0, area=17, shift=7)
    return s


def alloc_seeds():
    s = {}
    # init: memspace byte, count byte, then key/value byte pairs
    def init(space=0, traits=()):
        out = bytes([space, len(traits)])
        for k, v in traits:
            out += bytes([k, v])
        return out
    ALIGN, POOL, FB, FBDATA, PINNED, PART, SYNC, ACCESS = 2, 4, 5, 6, 7, 8, 1, 3
    def pow2(n):
        return 21 + n
    # ops: 0 alloc h size | 1 aligned a h size | 2 calloc n h size | 4 realloc i h size | ...
    def alloc(h, kind, *sz):
        return bytes([0, h, kind, *sz])
    def free(i=0, h=0):
        return bytes([5, i, h])
    plain = init()
    s["plain"] = plain + alloc(0, 0, 40) + alloc(0, 1, 0, 16) + free() + free()
    s["aligned"] = (init(0, [(ALIGN, pow2(12))]) + alloc(0, 0, 1) +
                    bytes([1, 7, 6, 0, 100]) + bytes([1, 0, 254, 0, 8]) + bytes([1, 0, 255, 0, 8]))
    s["pool-null"] = (init(1, [(POOL, pow2(12)), (FB, 12)]) + alloc(0, 2, 3) + alloc(0, 2, 1) +
                      alloc(0, 0, 255) + free(0) + alloc(0, 2, 1))
    s["pool-default-fb"] = init(2, [(POOL, 16), (FB, 11)]) + alloc(0, 1, 0, 1) + alloc(0, 0, 9)
    s["pool-abort"] = init(0, [(POOL, pow2(6)), (FB, 13)]) + alloc(0, 0, 8) + alloc(0, 0, 200)
    s["allocator-fb"] = (init(0, [(POOL, pow2(4)), (FB, 14), (FBDATA, 64 + 5)]) +
                         alloc(0, 0, 100) + bytes([8]) +
                         init(4, [(POOL, pow2(5)), (FB, 14), (FBDATA, 73)]) + alloc(1, 0, 200))
    s["fb-missing"] = init(0, [(FB, 14)])
    s["pinned"] = init(0, [(PINNED, 1)]) + alloc(0, 2, 8) + bytes([4, 0, 0, 3, 0, 16]) + free()
    s["partition"] = (init(0, [(PART, 17), (ACCESS, 9)]) + alloc(0, 2, 10) +
                      bytes([8]) + init(0, [(PART, 18)]) + alloc(1, 2, 3) +
                      bytes([8]) + init(0, [(PART, 16), (ACCESS, 8)]) + alloc(2, 0, 3))
    s["high-bw"] = init(3) + alloc(8, 0, 64)
    s["llvm-spaces"] = init(5, [(SYNC, 4)]) + alloc(13, 0, 1) + alloc(15, 0, 1)
    s["bad-space"] = init(9) + bytes([8]) + init(11) + b"\xff" * 8 + alloc(16, 0, 1)
    s["bad-traits"] = (init(0, [(0, 1)]) + bytes([8]) + init(0, [(9, 1)]) + bytes([8]) +
                       init(0, [(10, 1)]) + bytes([8, 0, 255, 8, 0, 254]))
    s["bad-values"] = (init(0, [(ALIGN, 3)]) + bytes([8]) + init(0, [(POOL, 0)]) +
                       bytes([8]) + init(0, [(FB, 2)]) + bytes([8]) + init(0, [(SYNC, 7)]) +
                       bytes([8]) + init(0, [(ALIGN, pow2(31))]))
    s["defaults"] = init(0, [(k, 20) for k in (1, 2, 3, 4, 5, 6, 7, 8)]) + alloc(0, 0, 50)
    s["realloc"] = (plain + alloc(0, 1, 0, 1) + bytes([4, 0, 0, 1, 0, 4]) +
                    bytes([4, 0, 4, 0, 3]) + bytes([4, 0, 0, 4]) + bytes([4, 9, 0, 0, 5]))
    s["realloc-null-allocator"] = (init(0, [(POOL, pow2(10)), (FB, 12)]) + alloc(0, 0, 100) +
                                   bytes([4, 0, 4, 1, 0, 8]))
    s["calloc-overflow"] = plain + bytes([2, 0, 7, 1, 0, 255]) + bytes([3, 6, 4, 0, 5, 0, 9])
    s["huge"] = plain + alloc(0, 5, 0) + alloc(0, 5, 63) + bytes([4, 0, 0, 5, 10])
    s["zero"] = plain + alloc(0, 4) + bytes([2, 0, 0, 4]) + bytes([4, 0, 0, 4])
    s["default-allocator"] = (init(0, [(ALIGN, pow2(7))]) + bytes([6, 0]) + bytes([9, 0, 50]) +
                              bytes([7, 0]) + bytes([9, 0, 50]) + bytes([6, 17]) + bytes([6, 8]))
    s["destroy"] = (plain + alloc(0, 0, 10) + bytes([7, 0]) + alloc(0, 0, 10) + free(0) +
                    bytes([7, 5]) + bytes([7, 18]) + bytes([7, 19]) + b"\x00" * 8)
    s["handles"] = plain + alloc(16, 0, 1) + alloc(17, 0, 1) + alloc(18, 0, 1) + alloc(4, 0, 1)
    s["many"] = plain + b"".join(bytes([8, i % 5, 1, PART if i % 2 else ALIGN,
                                        18 if i % 2 else pow2(i)]) for i in range(6))
    s["pages"] = plain + alloc(0, 2, 63) + alloc(0, 3, 255, 255) + free(1)
    s["pool-exact"] = (init(0, [(POOL, pow2(12)), (FB, 12)]) + alloc(0, 2, 1) + alloc(0, 0, 1) +
                       free(0) + alloc(0, 1, 0, 16) + alloc(0, 0, 1))
    s["free-after-destroy"] = (init(0, [(ALIGN, pow2(6))]) + alloc(0, 0, 30) + alloc(0, 2, 2) +
                               bytes([7, 0]) + free(0) + bytes([4, 0, 0, 0, 60]) + free(0))
    s["realloc-grow-shrink"] = (plain + alloc(0, 0, 16) + bytes([4, 0, 0, 1, 0, 64]) +
                                bytes([4, 0, 0, 0, 3]) + bytes([4, 0, 5, 2, 9]) + free())
    s["default-destroyed"] = (init(0, [(POOL, pow2(8)), (FB, 12)]) + bytes([6, 0]) +
                              bytes([9, 0, 100]) + bytes([9, 0, 200]) + bytes([7, 0]) +
                              bytes([9, 0, 200]) + bytes([6, 0]) + bytes([6, 18]))
    s["access-groups"] = (init(0, [(PART, 17), (ACCESS, 8)]) + alloc(0, 2, 2) + bytes([8]) +
                          init(0, [(PART, 18), (ACCESS, 10)]) + alloc(1, 2, 2) + bytes([8]) +
                          init(0, [(PART, 16), (ACCESS, 7)]) + alloc(2, 0, 9))
    s["sync-hints"] = b"".join(bytes([8 if i else 0, 0, 1, SYNC, v])[0 if i else 1:]
                               for i, v in enumerate((3, 4, 5, 6, 20)))
    s["fb-chain"] = (init(0, [(POOL, pow2(5)), (FB, 12)]) + bytes([8]) +
                     init(0, [(POOL, pow2(6)), (FB, 14), (FBDATA, 73)]) + bytes([8]) +
                     init(0, [(POOL, pow2(7)), (FB, 14), (FBDATA, 74)]) +
                     alloc(2, 0, 100) + alloc(2, 0, 60) + alloc(2, 0, 20))
    s["aligned-calloc"] = (init(1, [(ALIGN, pow2(9))]) + bytes([3, 0, 13, 0, 7, 0, 100]) +
                           bytes([3, 0, 2, 0, 1, 0, 0]))
    s["many-blocks"] = plain + b"".join(alloc(0, 0, i) for i in range(40))
    s["pinned-pool"] = (init(0, [(PINNED, 1), (POOL, pow2(14)), (FB, 11)]) + alloc(0, 2, 2) +
                        alloc(0, 2, 3) + alloc(0, 3, 0, 1))
    return s


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.remove(os.path.join(d, f))
    for name, data in seeds.items():
        with open(os.path.join(d, "seed-" + name), "wb") as f:
            f.write(data)
    print("%s: %d seeds" % (target, len(seeds)))


def main():
    write("omp_env", omp_env_seeds())
    write("env", arayon_env_seeds())
    write("topo", topo_seeds())
    write("alloc", alloc_seeds())
    return 0


if __name__ == "__main__":
    sys.exit(main())
