package io.kdiscovery.grpc;

import static io.kdiscovery.grpc.Cluster.ip;
import static io.kdiscovery.grpc.Cluster.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A real channel with grpc's pick_first (the channel default) on a kubernetes:/// target. */
class PickFirstChannelTest {

  private Cluster cluster;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    cluster = Cluster.withThreeReadyPods();
    channel = cluster.channel("pick_first");
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void everyCallGoesToOnePodAndMovesWithinASecondWhenThatPodTurnsUnready() {
    assertThat(Cluster.spread(channel, 100)).containsOnlyKeys(pod(1));

    cluster.publish(s -> s.notReady(pod(1), ip(1)).ready(pod(2), ip(2)).ready(pod(3), ip(3)));

    await().atMost(Duration.ofSeconds(2)).until(() -> !Cluster.spread(channel, 10).containsKey(pod(1)));
    assertThat(Cluster.spread(channel, 100)).hasSize(1).doesNotContainKey(pod(1));
  }

  @Test
  void scaledToZeroCallsFailFastWithUnavailableNamingTheServiceAndRecoverWhenPodsReturn() {
    // The pods' processes stay up: only the Service's endpoints say they must not get calls.
    cluster.publish(s -> s);

    await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
      StatusRuntimeException failure = catchThrowableOfType(StatusRuntimeException.class, () -> Whoami.call(channel));
      assertThat(failure).isNotNull();
      assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(failure.getStatus().getDescription())
          .isEqualTo("Service default/hostnames port 80 has no ready endpoints (nor any serving while terminating)");
    });

    cluster.publish(s -> s.ready(pod(2), ip(2)));
    await().atMost(Duration.ofSeconds(5)).ignoreExceptions()
        .untilAsserted(() -> assertThat(Whoami.call(channel)).isEqualTo(pod(2)));
  }

  @Test
  void aTargetWithoutNamespaceUsesTheConfiguredOneAndThePortNameWorksToo() {
    ManagedChannel byName = cluster.channel("kubernetes:///hostnames:default", b -> b);
    ManagedChannel byNamespaceAuthority = cluster.channel("kubernetes://default/hostnames:80", b -> b);
    ManagedChannel byFqdn = cluster.channel("kubernetes:///hostnames.default.svc.cluster.local:80", b -> b);

    assertThat(Whoami.call(byName)).isEqualTo(pod(1));
    assertThat(Whoami.call(byNamespaceAuthority)).isEqualTo(pod(1));
    assertThat(Whoami.call(byFqdn)).isEqualTo(pod(1));
  }
}
