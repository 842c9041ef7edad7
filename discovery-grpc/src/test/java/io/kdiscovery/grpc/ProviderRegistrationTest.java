package io.kdiscovery.grpc;

import static io.kdiscovery.grpc.Cluster.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolverRegistry;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How a channel finds the kubernetes resolver and the kdiscovery it reads through, with no wiring. */
class ProviderRegistrationTest {

  private static final String[] FABRIC8_PROPERTIES = {
      "kubernetes.master", "kubernetes.namespace", "kubernetes.auth.tryKubeConfig", "kubernetes.auth.tryServiceAccount"};

  private Cluster cluster;

  @BeforeEach
  void start() {
    cluster = Cluster.withThreeReadyPods();
  }

  @AfterEach
  void stop() {
    for (String property : FABRIC8_PROPERTIES) {
      System.clearProperty(property);
    }
    cluster.close();
  }

  @Test
  void theServiceLoaderRegistersTheKubernetesScheme() {
    assertThat(NameResolverRegistry.getDefaultRegistry().getProviderForScheme("kubernetes"))
        .isInstanceOf(KubernetesNameResolverProvider.class);
  }

  @Test
  void plainHostAndPortTargetsStillResolveThroughDnsWithOrWithoutARegisteredKDiscovery() {
    assertThat(NameResolverRegistry.getDefaultRegistry().getDefaultScheme()).isEqualTo("dns");

    KubernetesNameResolverProvider provider = KubernetesNameResolverProvider.register(cluster.discovery);
    try {
      assertThat(NameResolverRegistry.getDefaultRegistry().getDefaultScheme()).isEqualTo("dns");
    } finally {
      NameResolverRegistry.getDefaultRegistry().deregister(provider);
    }
  }

  @Test
  void aChannelBuiltFromTheTargetAloneReadsThroughFabric8sStandardConfiguration() throws InterruptedException {
    // What fabric8 auto-configuration reads besides kubeconfig and the service account; the shared
    // kdiscovery is created by the first channel that needs it, which is this one in this JVM.
    System.setProperty("kubernetes.master", cluster.api.client().getMasterUrl().toString());
    System.setProperty("kubernetes.namespace", "default");
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");

    ManagedChannel channel = ManagedChannelBuilder.forTarget("kubernetes:///hostnames:80")
        .usePlaintext()
        .defaultLoadBalancingPolicy("round_robin")
        .build();
    try {
      Map<String, Integer> spread = Cluster.spread(waitForAllPods(channel), 30);
      assertThat(spread).containsOnlyKeys(pod(1), pod(2), pod(3));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aRegisteredKDiscoveryServesChannelsWithoutTheirOwn() throws InterruptedException {
    KubernetesNameResolverProvider provider = KubernetesNameResolverProvider.register(cluster.discovery);
    ManagedChannel channel = ManagedChannelBuilder.forTarget("kubernetes:///hostnames.default:80")
        .usePlaintext()
        .defaultLoadBalancingPolicy("round_robin")
        .build();
    try {
      assertThat(NameResolverRegistry.getDefaultRegistry().getProviderForScheme("kubernetes")).isSameAs(provider);
      assertThat(Cluster.spread(waitForAllPods(channel), 30)).containsOnlyKeys(pod(1), pod(2), pod(3));
    } finally {
      NameResolverRegistry.getDefaultRegistry().deregister(provider);
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static ManagedChannel waitForAllPods(ManagedChannel channel) {
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> Cluster.spread(channel, 30).size() == 3);
    return channel;
  }
}
