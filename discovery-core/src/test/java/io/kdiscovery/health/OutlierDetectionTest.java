package io.kdiscovery.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class OutlierDetectionTest {

  @Test
  void ejectionTimeGrowsWithEachEjectionUpToTheMaximum() {
    OutlierDetection outlier = OutlierDetection.builder().baseEjectionTime(Duration.ofSeconds(30))
        .maxEjectionTime(Duration.ofSeconds(100)).build();
    assertThat(outlier.ejectionTime(1)).isEqualTo(Duration.ofSeconds(30));
    assertThat(outlier.ejectionTime(2)).isEqualTo(Duration.ofSeconds(60));
    assertThat(outlier.ejectionTime(4)).isEqualTo(Duration.ofSeconds(100));
    assertThat(outlier.ejectionTime(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(100));
  }

  @Test
  void atLeastOneEndpointMayBeEjectedButNeverMoreThanTheShare() {
    OutlierDetection outlier = OutlierDetection.defaults();
    assertThat(outlier.maxEjected(1)).isEqualTo(1);
    assertThat(outlier.maxEjected(3)).isEqualTo(1);
    assertThat(outlier.maxEjected(10)).isEqualTo(5);
    assertThat(OutlierDetection.disabled().maxEjected(10)).isZero();
  }

  @Test
  void panicStartsBelowTheThreshold() {
    OutlierDetection outlier = OutlierDetection.builder().panicThreshold(0.5).build();
    assertThat(outlier.inPanic(5, 10)).isFalse();
    assertThat(outlier.inPanic(4, 10)).isTrue();
    assertThat(OutlierDetection.builder().panicThreshold(0).build().inPanic(0, 10)).isFalse();
  }

  @Test
  void theBuilderRejectsNonsenseAtOnce() {
    assertThatIllegalArgumentException().isThrownBy(() -> OutlierDetection.builder().consecutiveFailures(0))
        .withMessage("consecutiveFailures must be at least 1: 0");
    assertThatIllegalArgumentException().isThrownBy(() -> OutlierDetection.builder().maxEjectedShare(0))
        .withMessage("maxEjectedShare must be in (0, 1]: 0.0");
    assertThatIllegalArgumentException().isThrownBy(() -> OutlierDetection.builder().panicThreshold(1.5))
        .withMessage("panicThreshold must be in [0, 1]: 1.5");
    assertThatIllegalArgumentException().isThrownBy(() -> OutlierDetection.builder().baseEjectionTime(Duration.ZERO))
        .withMessage("baseEjectionTime must be positive: PT0S");
    assertThatIllegalArgumentException().isThrownBy(() -> OutlierDetection.builder()
        .baseEjectionTime(Duration.ofMinutes(10)).maxEjectionTime(Duration.ofMinutes(1)).build())
        .withMessage("maxEjectionTime PT1M is below baseEjectionTime PT10M");
  }
}
