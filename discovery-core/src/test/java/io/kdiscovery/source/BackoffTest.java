package io.kdiscovery.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kdiscovery.testing.FakeTicker;
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

  private final FakeTicker ticker = new FakeTicker();
  private final Backoff.Attempts attempts = backoff.attempts(ticker, Duration.ofSeconds(10), () -> 0.999999);

  @Test
  void aConnectionThatDiesAtOnceBacksOffEverLonger() {
    for (int i = 0; i < 6; i++) {
      attempts.opened();
      ticker.advance(Duration.ofMillis(100)); // accepted, then ended by the server
      attempts.failed();
    }
    assertThat(attempts.failuresInARow()).isEqualTo(6);
    attempts.opened();
    ticker.advance(Duration.ofSeconds(1));
    assertThat(attempts.failed()).isBetween(Duration.ofMillis(1999), Duration.ofSeconds(2));
  }

  @Test
  void failuresWithoutAnyConnectionGrowFromTheInitialDelay() {
    assertThat(attempts.failed()).isBetween(Duration.ofMillis(99), Duration.ofMillis(100));
    assertThat(attempts.failed()).isBetween(Duration.ofMillis(199), Duration.ofMillis(200));
    assertThat(attempts.failed()).isBetween(Duration.ofMillis(399), Duration.ofMillis(400));
  }

  @Test
  void theCountRestartsOnlyAfterAConnectionStayedUpLongEnough() {
    attempts.failed();
    attempts.failed();
    attempts.failed();

    attempts.opened();
    ticker.advance(Duration.ofMillis(9_999));
    assertThat(attempts.isStable()).isFalse();
    assertThat(attempts.failed()).isBetween(Duration.ofMillis(799), Duration.ofMillis(800));

    attempts.opened();
    ticker.advance(Duration.ofSeconds(10));
    assertThat(attempts.isStable()).isTrue();
    assertThat(attempts.failed()).isBetween(Duration.ofMillis(99), Duration.ofMillis(100));
    assertThat(attempts.failuresInARow()).isEqualTo(1);
  }

  @Test
  void uptimeOfAnEarlierConnectionDoesNotCountForALaterFailureWithoutOne() {
    attempts.opened();
    ticker.advance(Duration.ofSeconds(60));
    attempts.failed(); // stable: counted as the first again
    ticker.advance(Duration.ofSeconds(60));
    assertThat(attempts.failed()).isBetween(Duration.ofMillis(199), Duration.ofMillis(200));
  }

  @Test
  void stableAfterMustBePositive() {
    assertThatThrownBy(() -> backoff.attempts(ticker, Duration.ZERO, () -> 0.5)).hasMessageContaining("positive");
  }
}
