package io.kdiscovery.grpc;

import static io.kdiscovery.grpc.Cluster.ip;
import static io.kdiscovery.grpc.Cluster.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.StatusRuntimeException;
import io.grpc.SynchronizationContext;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The kdiscovery policy on a real channel to real Netty pods, fed by a resolver the test drives: a
 * transient resolver error leaves the last good pods serving; the kubernetes resolver's definite
 * "no usable pod" fails calls at once.
 */
class ResolverErrorChannelTest {

  private static final ServiceKey KEY = ServiceKey.of("default", "hostnames", 80);
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** The resolver of {@code handdriven:///hostnames}: pushes what the test tells it, in the channel's context. */
  private static final class HandDrivenResolver extends NameResolver {
    final SynchronizationContext syncContext;
    final AtomicReference<Listener2> listener = new AtomicReference<>();

    HandDrivenResolver(SynchronizationContext syncContext) {
      this.syncContext = syncContext;
    }

    @Override
    public String getServiceAuthority() {
      return "hostnames.default:80";
    }

    @Override
    public void start(Listener2 l) {
      listener.set(l);
    }

    @Override
    public void shutdown() {}

    void push(ServiceSnapshot snapshot) {
      List<EquivalentAddressGroup> groups = new ArrayList<>();
      for (Endpoint e : snapshot.usableEndpoints()) {
        groups.add(new EquivalentAddressGroup(e.socketAddress(),
            Attributes.newBuilder().set(KubernetesNameResolver.ENDPOINT, e).build()));
      }
      syncContext.execute(() -> listener.get().onResult2(ResolutionResult.newBuilder()
          .setAddressesOrError(StatusOr.fromValue(groups))
          .setAttributes(Attributes.newBuilder().set(KubernetesNameResolver.SNAPSHOT, snapshot).build())
          .build()));
    }

    void error(Status status) {
      syncContext.execute(() -> listener.get().onResult2(ResolutionResult.newBuilder()
          .setAddressesOrError(StatusOr.fromStatus(status)).build()));
    }
  }

  private final Pods pods = new Pods();
  private final AtomicReference<HandDrivenResolver> resolver = new AtomicReference<>();
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    for (int i = 1; i <= 3; i++) {
      pods.start(pod(i), ip(i));
    }
    NameResolverRegistry registry = new NameResolverRegistry();
    registry.register(new NameResolverProvider() {
      @Override
      public NameResolver newNameResolver(URI uri, NameResolver.Args args) {
        HandDrivenResolver r = new HandDrivenResolver(args.getSynchronizationContext());
        resolver.set(r);
        return r;
      }

      @Override
      public String getDefaultScheme() {
        return "handdriven";
      }

      @Override
      protected boolean isAvailable() {
        return true;
      }

      @Override
      protected int priority() {
        return 5;
      }
    });
    channel = Grpc.newChannelBuilder("handdriven:///hostnames", InsecureChannelCredentials.create(), registry)
        .defaultServiceConfig(Map.of("loadBalancingConfig", List.of(Map.of("kdiscovery", Map.of("policy", "round_robin")))))
        .build();
    channel.getState(true); // start resolving
    await().atMost(WAIT).until(() -> resolver.get() != null && resolver.get().listener.get() != null);
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    pods.close();
  }

  private ServiceSnapshot threePods(long version) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      endpoints.add(Endpoint.builder(ip(i), pods.port()).podName(pod(i)).build());
    }
    return new ServiceSnapshot(KEY, version, Instant.EPOCH, true, ServiceInfo.UNKNOWN, endpoints);
  }

  private void servingThreePods() {
    resolver.get().push(threePods(1));
    await().atMost(WAIT).ignoreExceptions().until(() -> Cluster.spread(channel, 30).size() == 3);
  }

  @Test
  void aTransientResolverErrorLeavesTheLastGoodPodsServingEveryCall() {
    servingThreePods();

    resolver.get().error(Status.UNAVAILABLE.withDescription("the resolver lost its source for a moment"));

    int failed = 0;
    List<String> answered = new ArrayList<>();
    for (int i = 0; i < 54; i++) {
      try {
        answered.add(Whoami.call(channel));
      } catch (StatusRuntimeException e) {
        failed++;
      }
    }
    assertThat(failed).as("calls failed after a transient resolver error").isZero();
    assertThat(answered).contains(pod(1), pod(2), pod(3));

    resolver.get().push(threePods(2)); // and the next result is taken as usual
    assertThat(Cluster.spread(channel, 30)).containsOnlyKeys(pod(1), pod(2), pod(3));
  }

  @Test
  void theKubernetesResolversNoUsablePodFailsCallsAtOnceAndPodsComingBackServeAgain() {
    servingThreePods();

    String description = "Service default/hostnames port 80 has no ready endpoints (nor any serving while terminating)";
    resolver.get().error(Status.UNAVAILABLE.withDescription(description).withCause(new NoUsablePodException(description)));

    await().atMost(WAIT).untilAsserted(() -> {
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> Whoami.call(channel));
      assertThat(e).isNotNull();
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(e.getStatus().getDescription()).isEqualTo(description);
    });

    resolver.get().push(threePods(3));
    await().atMost(WAIT).ignoreExceptions().until(() -> Cluster.spread(channel, 30).size() == 3);
  }

  @Test
  void aResolverErrorBeforeAnyPodIsKnownFailsCallsWithIt() {
    resolver.get().error(Status.UNAVAILABLE.withDescription("no endpoints of Service default/hostnames port 80 known yet"));

    await().atMost(WAIT).untilAsserted(() -> {
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> Whoami.call(channel));
      assertThat(e).isNotNull();
      assertThat(e.getStatus().getDescription()).contains("known yet");
    });
  }
}
