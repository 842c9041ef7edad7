package io.kdiscovery.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

  private final Backoff backoff = Backoff.of(Duration.ofMillis(100), Duration.ofSeconds(2));

  @Test
  void theCeilingDoublesWithEachAttemptUpToTheMaximum() {
    assertThat(backoff.delay(0, () -> 0.999999)).isBetween(Duration.ofMillis(99), Duration.ofMillis(100));
    assertThat(backoff.delay(1, () -> 0.999999)).isBetween(Duration.ofMillis(199), Duration.ofMillis(200));
    assertThat(backoff.delay(3, () -> 0.999999)).isBetween(Duration.ofMillis(799), Duration.ofMillis(800));
    assertThat(backoff.delay(10, () -> 0.999999)).isBetween(Duration.ofMillis(1999), Duration.ofSeconds(2));
    assertThat(backoff.delay(Integer.MAX_VALUE, () -> 0.999999)).isLessThanOrEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void jitterSpreadsEachDelayOverTheUpperHalf() {
    assertThat(backoff.delay(2, () -> 0.0)).isEqualTo(Duration.ofMillis(200));
    assertThat(backoff.delay(2, () -> 0.5)).isEqualTo(Duration.ofMillis(300));
  }

  @Test
  void invalidBoundsAreRefused() {
    assertThatThrownBy(() -> Backoff.of(Duration.ZERO, Duration.ofSeconds(1))).hasMessageContaining("positive");
    assertThatThrownBy(() -> Backoff.of(Duration.ofSeconds(2), Duration.ofSeconds(1))).hasMessageContaining("below");
  }
}
