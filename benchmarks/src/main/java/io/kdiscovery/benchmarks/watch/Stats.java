package io.kdiscovery.benchmarks.watch;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/** Percentiles, heap after GC, and the CSV lines the charts are drawn from. */
final class Stats {

  private Stats() {}

  /** The {@code percent}-th percentile (nearest rank) of unsorted nanosecond samples, in ms. */
  static double percentileMs(long[] nanos, double percent) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
  }

  /** Heap in use after full collections, once two in a row agree within 1 %. */
  static long usedHeapAfterGc() {
    long previous = Long.MAX_VALUE;
    for (int i = 0; i < 10; i++) {
      System.gc();
      System.runFinalization();
      long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      if (Math.abs(previous - used) < used / 100) {
        return used;
      }
      previous = used;
    }
    return previous;
  }

  /**
   * Heap in use after GC once it stops moving: read every second until two readings in a row agree
   * within 128 KiB (at most 30 s), because a closed instance frees some of its memory a few seconds
   * later (threads ending, connections evicted), which a single reading would charge to the next run.
   */
  static long usedHeapWhenQuiet() {
    long previous = usedHeapAfterGc();
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    int agreeing = 0;
    while (agreeing < 2 && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.SECONDS.toNanos(1));
      long now = usedHeapAfterGc();
      agreeing = Math.abs(now - previous) < 128 * 1024 ? agreeing + 1 : 0;
      previous = now;
    }
    return previous;
  }

  static int liveThreads() {
    return ManagementFactory.getThreadMXBean().getThreadCount();
  }

  /** Appends a CSV line (header first if the file is new) under {@code benchmarks/charts/data}. */
  static void csv(Path file, String header, String line) {
    try {
      Files.createDirectories(file.getParent());
      if (!Files.exists(file)) {
        Files.writeString(file, header + "\n");
      }
      Files.writeString(file, line + "\n", StandardOpenOption.APPEND);
    } catch (IOException e) {
      System.err.println("cannot write " + file + ": " + e);
    }
  }

  static String uptime() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
