# SPDX-License-Identifier: MIT
# Precision/recall of fuzzy matching (bench_fuzzy_quality), for bench/run.sh:
#   gnuplot -e "dat='DIR'; out='PREFIX'" bench/plot_fuzzy.gp
# DIR holds fuzzy-N.dat (N = entries), one line per threshold:
#   threshold innocent_alerts_per_1000 recall_sub recall_drop recall_double recall_two
# PNG: PREFIX-fuzzy.png, one panel per error kind, one curve per list size:
# recall of misreads of listed plates against innocent reads that alert.

set terminal pngcairo size 1200,450 font "DejaVu Sans,10"
set output out."-fuzzy.png"
set grid
set key bottom right
files = system("ls ".dat."/fuzzy-*.dat 2>/dev/null | sort -t- -k2 -n")
set logscale x
set xrange [0.01:100]
set yrange [0:1.02]
set xlabel "innocent reads that alert, per 1,000"
set ylabel "recall"
set multiplot layout 1,3 title "Fuzzy k = 1, d = 1: thresholds 0..100, one curve per list size"
kinds = "sub drop double"
do for [c = 3:5] {
    set title "misreads: ".word(kinds, c - 2)
    plot for [f in files] f using ($2 > 0 ? $2 : 0.01):c with linespoints lw 2 pt 7 ps 0.5 \
        title system("basename ".f." .dat | sed 's/fuzzy-//'")." entries" noenhanced
}
unset multiplot
