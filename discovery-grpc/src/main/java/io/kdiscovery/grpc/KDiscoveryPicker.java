package io.kdiscovery.grpc;

import io.grpc.ConnectivityState;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.SubchannelPicker;
import io.grpc.Metadata;
import io.grpc.Status;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.NoEndpointException;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.balancing.PickContext;
import java.util.List;
import java.util.Map;

/**
 * Picks a subchannel for each call through discovery-core's balancer: the balancer chooses the pod
 * (policy, affinity, zone, ejections), this maps it to the pod's subchannel and reports the call's
 * outcome back through {@link OutcomeReporter}.
 *
 * <p>Immutable apart from what it reads: the balancer is thread-safe and each subchannel's state is
 * volatile, so any number of calls may pick at once. A pod whose subchannel is not connected is
 * skipped (a connect failure is reported, so the balancer can eject it); when no chosen pod is
 * connected yet the call waits for the next picker, which the policy installs on every change of a
 * subchannel's state.
 */
final class KDiscoveryPicker extends SubchannelPicker {

  private final LoadBalancer balancer;
  private final Map<String, KDiscoveryLoadBalancer.PodSubchannel> subchannels; // by address:port
  private final Metadata.Key<String> affinityKey; // null: no affinity

  KDiscoveryPicker(LoadBalancer balancer, Map<String, KDiscoveryLoadBalancer.PodSubchannel> subchannels,
      Metadata.Key<String> affinityKey) {
    this.balancer = balancer;
    this.subchannels = Map.copyOf(subchannels);
    this.affinityKey = affinityKey;
  }

  @Override
  public PickResult pickSubchannel(PickSubchannelArgs args) {
    PickContext context = PickContext.none();
    if (affinityKey != null) {
      String key = args.getHeaders().get(affinityKey);
      if (key != null) {
        context = PickContext.forKey(key);
      }
    }
    for (int attempt = 0; attempt <= subchannels.size(); attempt++) {
      Endpoint chosen;
      try {
        // Chosen, not yet counted: grpc may drop this pick and pick again without creating a stream,
        // so the request is counted in flight by the stream tracer, from stream creation to close.
        chosen = balancer.choose(context);
      } catch (NoEndpointException e) {
        return PickResult.withError(Status.UNAVAILABLE.withDescription(e.getMessage()));
      }
      KDiscoveryLoadBalancer.PodSubchannel pod = subchannels.get(chosen.hostPort());
      ConnectivityState state = pod == null ? ConnectivityState.IDLE : pod.state;
      if (state == ConnectivityState.READY) {
        return PickResult.withSubchannel(pod.subchannel, new OutcomeReporter(balancer, chosen));
      }
      if (state == ConnectivityState.TRANSIENT_FAILURE) {
        balancer.start(chosen).connectFailure(); // so that outlier detection can eject it
      }
      context = context.excluding(List.of(chosen));
    }
    return PickResult.withNoResult();
  }

  @Override
  public String toString() {
    return "KDiscoveryPicker[" + subchannels.keySet() + "]";
  }
}
