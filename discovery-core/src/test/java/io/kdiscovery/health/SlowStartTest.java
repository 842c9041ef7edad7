package io.kdiscovery.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SlowStartTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void theWeightRampsLinearlyFromTheMinimumToFull() {
    SlowStart slowStart = SlowStart.of(Duration.ofSeconds(100), 0.1, 1.0);
    assertThat(slowStart.factor(0)).isEqualTo(0.1);
    assertThat(slowStart.factor(50 * SECOND)).isCloseTo(0.5, within(1e-9));
    assertThat(slowStart.factor(100 * SECOND)).isEqualTo(1.0);
  }

  @Test
  void moreAggressionRampsFasterEarly() {
    SlowStart slowStart = SlowStart.of(Duration.ofSeconds(100), 0.01, 2.0);
    assertThat(slowStart.factor(25 * SECOND)).isCloseTo(0.5, within(1e-9));
  }

  @Test
  void aZeroWindowDisablesSlowStart() {
    assertThat(SlowStart.of(Duration.ZERO).enabled()).isFalse();
    assertThat(SlowStart.disabled().factor(0)).isEqualTo(1.0);
  }

  @Test
  void argumentsAreCheckedAtOnce() {
    assertThatIllegalArgumentException().isThrownBy(() -> SlowStart.of(Duration.ofSeconds(-1)))
        .withMessage("slow start window must not be negative: PT-1S");
    assertThatIllegalArgumentException().isThrownBy(() -> SlowStart.of(Duration.ofSeconds(1), 0, 1))
        .withMessage("slow start minWeight must be in (0, 1]: 0.0");
  }
}
