package io.kdiscovery.affinity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.kdiscovery.balancing.FakeTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class StickyTableTest {

  private final FakeTicker ticker = new FakeTicker();
  private final StickyTable<String> table = StickyTable.create(Duration.ofMinutes(1), 100, ticker);

  @Test
  void aKeySticksToItsFirstTargetWhileThatStaysValid() {
    assertThat(table.stick(KeyHash.of("k"), "pod-a", t -> true)).isEqualTo("pod-a");
    assertThat(table.stick(KeyHash.of("k"), "pod-b", t -> true)).isEqualTo("pod-a");
    assertThat(table.stick(KeyHash.of("k"), "pod-b", t -> !t.equals("pod-a"))).isEqualTo("pod-b");
  }

  @Test
  void anIdleKeyExpiresOnTheInjectedTicker() {
    table.stick(KeyHash.of("k"), "pod-a", t -> true);
    ticker.advance(Duration.ofSeconds(59));
    assertThat(table.get(KeyHash.of("k"))).isEqualTo("pod-a");
    ticker.advance(Duration.ofSeconds(59));
    assertThat(table.get(KeyHash.of("k"))).as("reading refreshed it").isEqualTo("pod-a");
    ticker.advance(Duration.ofSeconds(61));
    assertThat(table.get(KeyHash.of("k"))).isNull();
  }

  @Test
  void theTableStaysBounded() {
    for (int i = 0; i < 1_000; i++) {
      table.stick(KeyHash.of("k" + i), "pod", t -> true);
    }
    table.cleanUp();
    assertThat(table.estimatedSize()).isLessThanOrEqualTo(100);
  }

  @Test
  void settingsAreCheckedAtOnce() {
    assertThatIllegalArgumentException().isThrownBy(() -> StickyTable.create(Duration.ZERO, 1, ticker))
        .withMessage("idle timeout must be positive: PT0S");
    assertThatIllegalArgumentException().isThrownBy(() -> Affinity.sticky(Duration.ofSeconds(1), 0))
        .withMessage("affinity maxKeys must be at least 1: 0");
  }
}
