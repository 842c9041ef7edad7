package io.kdiscovery.grpc;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import org.awaitility.Awaitility;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The hostnames scenario for gRPC: the mock API server (CRUD mode) holding the Service and its
 * EndpointSlice, kdiscovery reading it, and real gRPC servers as the pods. The test changes the
 * slice as the EndpointSlice controller would, and the channels under test follow.
 */
final class Cluster implements AutoCloseable {

  static final String TARGET = "kubernetes:///hostnames.default:80";
  static final String SLICE = "hostnames-abc";
  static final Metadata.Key<String> USER = Metadata.Key.of("x-user-id", Metadata.ASCII_STRING_MARSHALLER);

  final ApiServer api = new ApiServer();
  final KDiscovery discovery;
  final Pods pods = new Pods();
  private final List<ManagedChannel> channels = new ArrayList<>();

  Cluster() {
    this(api -> KDiscovery.builder().kubernetesClient(api.client()));
  }

  /** A cluster whose kdiscovery is built as {@code discovery} says, once the server is up. */
  Cluster(java.util.function.Function<ApiServer, KDiscovery.Builder> discovery) {
    this.discovery = discovery.apply(api).build();
    api.apply(Hostnames.service());
  }

  /** Starts pods hostnames-1..3 on 127.0.0.11..13 and publishes them ready. */
  static Cluster withThreeReadyPods() {
    Cluster cluster = new Cluster();
    for (int i = 1; i <= 3; i++) {
      cluster.pods.start(pod(i), ip(i));
    }
    cluster.publish(s -> s.ready(pod(1), ip(1)).ready(pod(2), ip(2)).ready(pod(3), ip(3)));
    return cluster;
  }

  static String pod(int i) {
    return "hostnames-" + i;
  }

  static String ip(int i) {
    return "127.0.0." + (10 + i);
  }

  /** Replaces the Service's slice with the endpoints {@code endpoints} adds, on the pods' port. */
  void publish(UnaryOperator<Hostnames.SliceBuilder> endpoints) {
    api.apply(endpoints.apply(Hostnames.slice(SLICE).port("default", pods.port())).build());
  }

  /** A channel to {@link #TARGET} through this cluster's kdiscovery, with the given policy. */
  ManagedChannel channel(String policy) {
    return channel(TARGET, b -> b.defaultLoadBalancingPolicy(policy));
  }

  ManagedChannel channel(String target, UnaryOperator<ManagedChannelBuilder<?>> configure) {
    ManagedChannelBuilder<?> builder = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
        .setNameResolverArg(KubernetesNameResolverProvider.KDISCOVERY, discovery);
    ManagedChannel channel = configure.apply(builder).build();
    channels.add(channel);
    return channel;
  }

  /**
   * Replaces pods 1-3 by pods 4-6 as a Deployment's rollout does, while {@code load} keeps calling:
   * the new pods start and turn ready, the old ones turn terminating, leave the slice, and stop. Returns
   * once 300 more calls were made on the new pods alone; the caller asserts what the load saw.
   */
  void rollingUpdate(CallLoad load) {
    // The Deployment's new ReplicaSet: new pods start and pass their readinessProbe.
    for (int i = 4; i <= 6; i++) {
      pods.start(pod(i), ip(i));
    }
    publish(s -> s.ready(pod(1), ip(1)).ready(pod(2), ip(2)).ready(pod(3), ip(3))
        .ready(pod(4), ip(4)).ready(pod(5), ip(5)).ready(pod(6), ip(6)));
    Awaitility.await().atMost(Duration.ofSeconds(5))
        .until(() -> load.callsTo(pod(4)) > 0 && load.callsTo(pod(5)) > 0 && load.callsTo(pod(6)) > 0);

    // The old pods are deleted: terminating, still serving what they have, then gone from the slice.
    publish(s -> s.terminating(pod(1), ip(1)).terminating(pod(2), ip(2)).terminating(pod(3), ip(3))
        .ready(pod(4), ip(4)).ready(pod(5), ip(5)).ready(pod(6), ip(6)));
    Awaitility.await().atMost(Duration.ofSeconds(2))
        .until(() -> load.recentPods(50).stream().noneMatch(p -> p.equals(pod(1)) || p.equals(pod(2)) || p.equals(pod(3))));
    publish(s -> s.ready(pod(4), ip(4)).ready(pod(5), ip(5)).ready(pod(6), ip(6)));
    try (var handle = discovery.open("hostnames.default:80")) {
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> handle.snapshot().orElseThrow().endpoints().size() == 3);
    }
    pods.stop(pod(1), pod(2), pod(3));
    long afterRollout = load.total();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> load.total() > afterRollout + 300);
  }

  /** {@code channel} with every call carrying the metadata {@code x-user-id: user}. */
  static Channel asUser(Channel channel, String user) {
    Metadata headers = new Metadata();
    headers.put(USER, user);
    return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /** Makes {@code n} calls one after another and counts the answers per pod. */
  static Map<String, Integer> spread(ManagedChannel channel, int n) {
    Map<String, Integer> counts = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(Whoami.call(channel), 1, Integer::sum);
    }
    return counts;
  }

  @Override
  public void close() {
    for (ManagedChannel channel : channels) {
      try {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    // Every resolver releases its hold on the Service when its channel terminates: no watch leaks.
    Awaitility.await("no Service still watched after every channel terminated")
        .atMost(Duration.ofSeconds(5)).until(() -> discovery.table().services().isEmpty());
    pods.close();
    discovery.close();
    api.close();
  }
}
