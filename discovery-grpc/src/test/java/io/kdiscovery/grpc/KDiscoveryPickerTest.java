package io.kdiscovery.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.kdiscovery.balancing.EndpointHealth;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.Policy;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The picker counts a call in flight from the creation of its stream to its close, as grpc's own
 * least_request does: a pick that grpc drops without creating a stream is never counted.
 */
class KDiscoveryPickerTest {

  private static final ServiceKey KEY = ServiceKey.of("default", "hostnames", 80);
  private static final PickSubchannelArgs ARGS = new PickSubchannelArgs() {
    private final Metadata headers = new Metadata();

    @Override
    public CallOptions getCallOptions() {
      return CallOptions.DEFAULT;
    }

    @Override
    public Metadata getHeaders() {
      return headers;
    }

    @Override
    public MethodDescriptor<?, ?> getMethodDescriptor() {
      return Whoami.METHOD;
    }
  };

  /** A subchannel that only exists: the picker never touches it beyond handing it out. */
  private static final class IdleSubchannel extends Subchannel {
    @Override
    public void shutdown() {}

    @Override
    public void requestConnection() {}

    @Override
    public Attributes getAttributes() {
      return Attributes.EMPTY;
    }
  }

  private final LoadBalancer balancer = LoadBalancer.builder().policy(Policy.LEAST_REQUEST).build();
  private final Map<String, KDiscoveryLoadBalancer.PodSubchannel> subchannels = new HashMap<>();

  private KDiscoveryPicker readyPicker(int pods) {
    List<Endpoint> endpoints = new java.util.ArrayList<>();
    for (int i = 1; i <= pods; i++) {
      Endpoint e = Endpoint.of("10.244.0." + i, 9376);
      endpoints.add(e);
      KDiscoveryLoadBalancer.PodSubchannel pod = new KDiscoveryLoadBalancer.PodSubchannel(e.hostPort(), new IdleSubchannel());
      pod.state = ConnectivityState.READY;
      subchannels.put(e.hostPort(), pod);
    }
    balancer.update(new ServiceSnapshot(KEY, 1, Instant.EPOCH, true, ServiceInfo.UNKNOWN, endpoints));
    return new KDiscoveryPicker(balancer, subchannels, null);
  }

  private int inFlight() {
    return balancer.health().stream().mapToInt(EndpointHealth::inFlight).sum();
  }

  @Test
  void picksWhoseStreamIsNeverCreatedAreNeverCounted() {
    KDiscoveryPicker picker = readyPicker(3);

    for (int i = 0; i < 1000; i++) {
      assertThat(picker.pickSubchannel(ARGS).getSubchannel()).isNotNull(); // grpc drops it and picks again
    }

    assertThat(inFlight()).isZero();
  }

  @Test
  void aCallCountsFromStreamCreationToCloseExactlyOnce() {
    KDiscoveryPicker picker = readyPicker(3);
    PickResult result = picker.pickSubchannel(ARGS);
    assertThat(inFlight()).isZero();

    ClientStreamTracer tracer = result.getStreamTracerFactory()
        .newClientStreamTracer(ClientStreamTracer.StreamInfo.newBuilder().build(), new Metadata());
    assertThat(inFlight()).isEqualTo(1);

    tracer.streamClosed(Status.OK);
    tracer.streamClosed(Status.OK);
    assertThat(inFlight()).isZero();
  }

  @Test
  void eachStreamOfARetriedCallIsCountedOnItsOwn() {
    KDiscoveryPicker picker = readyPicker(1);
    ClientStreamTracer.Factory factory = picker.pickSubchannel(ARGS).getStreamTracerFactory();

    ClientStreamTracer first = factory.newClientStreamTracer(ClientStreamTracer.StreamInfo.newBuilder().build(), new Metadata());
    ClientStreamTracer second = factory.newClientStreamTracer(ClientStreamTracer.StreamInfo.newBuilder().build(), new Metadata());
    assertThat(inFlight()).isEqualTo(2);

    first.streamClosed(Status.UNAVAILABLE);
    second.streamClosed(Status.OK);
    assertThat(inFlight()).isZero();
  }
}
