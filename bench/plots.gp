# plots.gp - the report's plots, as SVG, from data/*.dat (written by
# report.lua).  run.sh runs it in the results directory, with -e "depth=N; blocks=N".
set terminal svg size 820,460 dynamic font "sans,12" background "white"
set termoption noenhanced          # peer names have underscores
set datafile missing "?"
set key outside right top
set key autotitle columnheader     # every data file starts with its column names
set grid ytics
set style fill solid 0.85 border -1
set style data histograms
set style histogram clustered gap 1
set boxwidth 0.9
set xtics nomirror norotate
set ytics nomirror

set output "pairs-batch.svg"
set title "Allocate+free, batch of 1000: ns per pair (lower is better)"
set style data linespoints
set logscale xy 2
set xlabel "block size (bytes)"
set ylabel "ns per pair"
plot for [i=2:9] "data/pairs-batch.dat" using 1:i title columnheader(i) lw 2

set output "pairs-same.svg"
set title "Allocate+free, same block: ns per pair (lower is better)"
plot for [i=2:9] "data/pairs-same.dat" using 1:i title columnheader(i) lw 2

unset logscale
unset xlabel
set style data histograms
set yrange [0:*]                   # bars start at zero

set output "instr.svg"
set title "Instructions per pair under callgrind, batch pattern (lower is better)"
set ylabel "instructions"
plot for [i=2:4] "data/instr.dat" using i:xtic(1) title columnheader(i)

set output "threads.svg"
set title "Per-thread cost of batches of 64 B: 1 and 2 threads (flat is scaling)"
set ylabel "ns per pair per thread"
plot "data/threads.dat" using 2:xtic(1) title "1 thread", "" using 3 title "2 threads"

set output "xfree.svg"
set title "Cross-thread free: one thread allocates, another frees (lower is better)"
set ylabel "ns per object"
plot "data/xfree.dat" using 2:xtic(1) notitle

set output "churn.svg"
set title "Thread churn: a short-lived thread with 1000 pairs (lower is better)"
set ylabel "microseconds per thread"
plot "data/churn.dat" using 2:xtic(1) notitle

set output "teardown.svg"
set title "Ending a domain of small blocks: free each or discard (log scale, lower is better)"
set ylabel "milliseconds"
set yrange [*:*]
set logscale y
plot for [i=2:3] "data/teardown.dat" using i:xtic(1) title columnheader(i)
unset logscale
set yrange [0:*]

set output "lua.svg"
set title sprintf("Lua binary-trees, depth %d: wall seconds (lower is better)", depth)
set ylabel "seconds"
plot "data/lua.dat" using 2:xtic(1) notitle

set output "memory.svg"
set title sprintf("Memory for %d live mixed-size blocks: MiB above the start", blocks)
set ylabel "MiB"
plot for [i=2:4] "data/memory.dat" using i:xtic(1) title columnheader(i)

set output "lua_call.svg"
set title "A block allocated and freed from Lua: CPU ns per pair (lower is better)"
set ylabel "ns per pair"
plot for [i=2:3] "data/lua_call.dat" using i:xtic(1) title columnheader(i)
