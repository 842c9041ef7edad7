package io.kdiscovery.source.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.kdiscovery.source.Backoff;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** When a watch queries next, on fixed random values. */
class DnsRefreshScheduleTest {

  private static final double NO_JITTER = 0.0;
  private static final double MOST_JITTER = 0.999_999;

  private final RefreshSchedule schedule = new RefreshSchedule(Duration.ofSeconds(1),
      Duration.ofSeconds(30), 0.1, Backoff.of(Duration.ofMillis(250), Duration.ofSeconds(8)));

  @Test
  void answerIsRefreshedWhenItsTtlRunsOut() {
    assertThat(schedule.afterAnswer(5L, () -> NO_JITTER)).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void ttlBelowTheMinimumWaitsTheMinimum() {
    assertThat(schedule.afterAnswer(0L, () -> NO_JITTER)).isEqualTo(Duration.ofSeconds(1));
    assertThat(schedule.afterAnswer(-3L, () -> NO_JITTER)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void ttlAboveTheMaximumWaitsTheMaximum() {
    assertThat(schedule.afterAnswer(86_400L, () -> NO_JITTER)).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void answerWithoutTtlWaitsTheMinimum() {
    assertThat(schedule.afterAnswer(null, () -> NO_JITTER)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void jitterPostponesByAtMostItsShareAndNeverRefreshesEarly() {
    assertThat(schedule.afterAnswer(10L, () -> 0.5)).isEqualTo(Duration.ofMillis(10_500));
    assertThat(schedule.afterAnswer(10L, () -> MOST_JITTER))
        .isGreaterThan(Duration.ofMillis(10_999)).isLessThan(Duration.ofSeconds(11));
    assertThat(schedule.afterAnswer(0L, () -> MOST_JITTER))
        .isGreaterThanOrEqualTo(Duration.ofSeconds(1)).isLessThan(Duration.ofMillis(1100));
    assertThat(schedule.afterAnswer(86_400L, () -> MOST_JITTER)).isLessThan(Duration.ofSeconds(33));
  }

  @Test
  void failuresInARowBackOffExponentiallyUpToTheMaximum() {
    assertThat(schedule.afterFailure(1, () -> MOST_JITTER)).isLessThanOrEqualTo(Duration.ofMillis(250));
    assertThat(schedule.afterFailure(2, () -> MOST_JITTER)).isLessThanOrEqualTo(Duration.ofMillis(500))
        .isGreaterThan(Duration.ofMillis(250));
    assertThat(schedule.afterFailure(20, () -> MOST_JITTER)).isLessThanOrEqualTo(Duration.ofSeconds(8))
        .isGreaterThan(Duration.ofSeconds(7));
    assertThat(schedule.afterFailure(20, () -> NO_JITTER)).isEqualTo(Duration.ofSeconds(4));
  }
}
