package io.kdiscovery.balancing;

import static io.kdiscovery.balancing.Snapshots.pods;
import static io.kdiscovery.balancing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.kdiscovery.affinity.Affinity;
import io.kdiscovery.model.Endpoint;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Sticky affinity remembers a fixed-size hash of each key, not the key: keys a caller chooses (header
 * values of kilobytes) cost the balancer the same as short ones.
 *
 * <p>How it is measured: the heap in use after full collections, before the keys and after them, with
 * every key unreachable by then except through the balancer. A table that kept the keys would retain
 * 20 000 × 8 KiB = 156 MiB; the bound is 40 MiB, far from both that and the measured figure, which
 * the test prints (see BENCHMARKS.md).
 */
class StickyKeyHeapTest {

  private static final int KEYS = 20_000;
  private static final int KEY_CHARS = 8 * 1024;

  @Test
  void twentyThousandStickyKeysOfEightKibibytesRetainUnderFortyMebibytes() {
    FakeTicker ticker = new FakeTicker();
    LoadBalancer balancer = LoadBalancer.builder().policy(Policy.ROUND_ROBIN).ticker(ticker)
        .affinity(Affinity.sticky(Duration.ofMinutes(30))).build();
    balancer.update(snapshot(1, pods(5)));
    Endpoint firstKeysPod = balancer.pick(PickContext.forKey(key(0))).endpoint();

    long before = usedHeapAfterGc();
    for (int i = 1; i < KEYS; i++) {
      Pick pick = balancer.pick(PickContext.forKey(key(i)));
      pick.success(1_000_000);
    }
    long after = usedHeapAfterGc();
    long retained = after - before;
    System.out.printf("sticky table: %d keys of %d chars retain %.1f MiB (heap in use after GC: %.1f -> %.1f MiB)%n",
        KEYS, KEY_CHARS, retained / 1048576.0, before / 1048576.0, after / 1048576.0);

    assertThat(retained).as("bytes retained by %d sticky keys", KEYS).isLessThan(40L << 20);
    // and the hashes still do the keys' work: the first key, written anew, is still on its pod
    assertThat(balancer.pick(PickContext.forKey(key(0))).endpoint()).isEqualTo(firstKeysPod);
    Reference.reachabilityFence(balancer);
  }

  /** A distinct key of KEY_CHARS characters, made anew each time so that only the balancer could keep it. */
  private static String key(int i) {
    char[] chars = new char[KEY_CHARS];
    Arrays.fill(chars, 'k');
    String prefix = "user-" + i + "-";
    prefix.getChars(0, prefix.length(), chars, 0);
    return new String(chars);
  }

  /** The heap in use once full collections stop freeing anything (within 1 MiB), at most ten of them. */
  private static long usedHeapAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long previous = Long.MAX_VALUE;
    for (int i = 0; i < 10; i++) {
      System.gc();
      long used = memory.getHeapMemoryUsage().getUsed();
      if (Math.abs(previous - used) < (1 << 20)) {
        return used;
      }
      previous = used;
    }
    return previous;
  }
}
