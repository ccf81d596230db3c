# SPDX-License-Identifier: MIT
# Plots for bench/run.sh. Call with:
#   gnuplot -e "dat='DIR'; out='PREFIX'; floor=NS; maxn=N" bench/plot.gp
# DIR holds the .dat files run.sh extracts from a results file; the PNGs are
# PREFIX-lookup.png, -scaling.png, -latency.png, -reload.png. floor is the
# DRAM floor (ns per independent random load, 2 MiB pages) drawn on the
# lookup plot; maxn the list size of the reload trace.

set terminal pngcairo size 1100,500 font "DejaVu Sans,10"
set grid
set key outside right top
file_ok(f) = system("test -s '".f."' && echo 1 || echo 0") + 0

# ---- lookup: throughput vs list size, per system, two hit ratios ----------
systems = "plain ck_hs cds_lfht redis redis_pipe64 hotlist_single hotlist_bulk"
set output out."-lookup.png"
set terminal pngcairo size 1100,600
set key horizontal outside bottom center maxcols 4 width -2
set multiplot layout 1,2 title "Exact lookup, one thread (pre-normalised keys)"
set logscale x
set logscale y
set xlabel "entries in the list"
set ylabel "million lookups/s"
set format x "10^{%T}"
do for [hr in "0.001 0.1"] {
    set title "hit ratio ".hr
    plot for [s in systems] (file_ok(dat."/lookup-".s."-".hr.".dat") ? \
            dat."/lookup-".s."-".hr.".dat" : "/dev/null") \
            using 1:2 with linespoints lw 2 title s noenhanced, \
         (floor > 0 ? 1000.0 / floor : 1/0) with lines dt 2 lc rgb "black" \
            title sprintf("DRAM floor, independent loads (%.1f ns)", floor) noenhanced
}
unset multiplot
unset format x
set terminal pngcairo size 1100,500
set key outside right top vertical

# ---- scaling: throughput vs threads ----------------------------------------
set output out."-scaling.png"
set title sprintf("Lookups with 1..N threads, %d entries, hit ratio 0.001", maxn)
unset logscale x
set logscale y
set xlabel "threads"
set ylabel "million lookups/s (all threads)"
set xtics 1
plot for [s in "plain ck_hs cds_lfht hotlist_single hotlist_bulk"] \
        (file_ok(dat."/scaling-".s.".dat") ? dat."/scaling-".s.".dat" : "/dev/null") \
        using 1:2 with linespoints lw 2 title s noenhanced
set xtics autofreq

# ---- latency: percentiles per path -------------------------------------------
set output out."-latency.png"
set title "Read to callback latency (all reads hit)"
set logscale y
set xlabel "percentile"
set ylabel "ns"
set xrange [-0.3:4.3]
plot for [p in "inline async8-10000 async8-100000 async8-1000000 async1-10000 async1-100000 async1-1000000"] \
        (file_ok(dat."/latency-".p.".dat") ? dat."/latency-".p.".dat" : "/dev/null") \
        using 1:3:xtic(2) with linespoints lw 2 \
        title (p eq "inline" ? p : substr(p, 6, 6) . " producers, " . substr(p, 8, 20) . " reads/s") \
        noenhanced
unset xrange

# ---- reload: readers' throughput over time ---------------------------------------
set output out."-reload.png"
set title sprintf("Readers' throughput while %d entries are replaced (memory, then CSV)", maxn)
unset logscale y
set xlabel "time (ms)"
set ylabel "million reads/s (all readers)"
set yrange [0:*]
f = dat."/reload-trace.dat"
if (file_ok(f)) {
    plot f using 1:($3 == 0 ? $2 : 1/0) with lines lw 1.5 title "before", \
         f using 1:($3 == 1 ? $2 : 1/0) with lines lw 1.5 title "hotlist_replace" noenhanced, \
         f using 1:($3 == 2 ? $2 : 1/0) with lines lw 1.5 title "hotlist_load_csv" noenhanced, \
         f using 1:($3 == 3 ? $2 : 1/0) with lines lw 1.5 title "after"
} else {
    set label 1 "no reload trace" at graph 0.4, graph 0.5
    set xrange [0:1]
    set yrange [0:1]
    plot 2 notitle
}
