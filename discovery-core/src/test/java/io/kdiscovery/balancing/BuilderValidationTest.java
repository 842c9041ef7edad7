package io.kdiscovery.balancing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import io.kdiscovery.model.ServiceKey;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BuilderValidationTest {

  @Test
  void badSettingsFailWhenSetWithAClearMessage() {
    assertThatNullPointerException().isThrownBy(() -> LoadBalancer.builder().policy(null)).withMessage("policy");
    assertThatIllegalArgumentException().isThrownBy(() -> LoadBalancer.builder().localZone(" "))
        .withMessage("localZone must not be blank; pass null when unknown");
    assertThatIllegalArgumentException().isThrownBy(() -> LoadBalancer.builder().latencyDecay(Duration.ZERO))
        .withMessage("latencyDecay must be positive: PT0S");
    assertThatIllegalArgumentException().isThrownBy(() -> LoadBalancer.builder().maxOutstandingPicks(2))
        .withMessage("maxOutstandingPicks must be in 8..1048576: 2");
  }

  @Test
  void aBalancerServesOneServicePort() {
    LoadBalancer balancer = LoadBalancer.builder().build();
    balancer.update(Snapshots.snapshot(1, Snapshots.pods(1)));
    var other = new io.kdiscovery.model.ServiceSnapshot(ServiceKey.of("default", "other", 80), 2,
        java.time.Instant.EPOCH, true, io.kdiscovery.model.ServiceInfo.UNKNOWN, List.of());
    assertThatIllegalArgumentException().isThrownBy(() -> balancer.update(other))
        .withMessage("this balancer serves hostnames.default:80, not other.default:80");
    assertThat(balancer.snapshot().version()).isEqualTo(1);
  }
}
