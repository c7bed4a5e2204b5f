# SPDX-License-Identifier: GPL-2.0
# Plot bench-scaling.dat (written by tests/bench/bench -o DIR):
#   gnuplot -e "dir='DIR'" tests/bench/plot.gp   -> DIR/bench-scaling.png
if (!exists("dir")) dir = "."
set terminal pngcairo size 900,560 font ",10"
set output dir . "/bench-scaling.png"
set title "vfio-pasid: cost per operation against PASIDs outstanding in one VM (TCG guest)"
set xlabel "PASIDs outstanding"
set ylabel "ns per operation"
set logscale x
set xrange [500:1000000]
set format x "%.0s%c"
set yrange [0:*]
set grid
set key top left
plot dir . "/bench-scaling.dat" using 1:2 with linespoints lw 2 pt 7 title "alloc (ioctl)", \
     ""                         using 1:3 with linespoints lw 2 pt 5 title "free (ioctl)", \
     ""                         using 1:4 with linespoints dt 2 pt 6 title "alloc (allocator alone)", \
     ""                         using 1:5 with linespoints dt 2 pt 4 title "free (allocator alone)"
