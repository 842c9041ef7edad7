package io.kdiscovery.grpc;

import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.Location;
import io.kdiscovery.model.ServiceSnapshot;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code kdiscovery} policy: one subchannel per usable pod (per pod of this client's subset, with
 * {@code subsetSize}), and picks made by discovery-core's
 * balancer from the Service's snapshot, which the {@code kubernetes} resolver hands over with the
 * addresses.
 *
 * <pre>
 * Concurrency design
 *
 *   channel's SynchronizationContext ──▶ acceptResolvedAddresses / handleNameResolutionError /
 *                                        subchannel state listeners / shutdown
 *       owns: config, balancer, the subchannel map; writes PodSubchannel.state (volatile)
 *       builds a new KDiscoveryPicker (immutable map copy) on every change and installs it
 *   any call thread ──▶ KDiscoveryPicker.pickSubchannel ──▶ balancer.pick (lock-free, thread-safe)
 *   stream close    ──▶ OutcomeReporter ──▶ Pick.success / failure (balancer's atomics)
 * </pre>
 *
 * The balancer is replaced only when the policy's configuration changes; otherwise each snapshot
 * updates it in place, and what it learned about each pod (calls in flight, latency, ejections) stays.
 */
final class KDiscoveryLoadBalancer extends LoadBalancer {

  private static final Logger log = LoggerFactory.getLogger(KDiscoveryLoadBalancer.class);

  private final Helper helper;
  private final Map<String, PodSubchannel> subchannels = new HashMap<>(); // by address:port
  private KDiscoveryConfig config;
  private Location location;
  private io.kdiscovery.balancing.LoadBalancer balancer;
  private Metadata.Key<String> affinityKey;
  private boolean shutdown;

  KDiscoveryLoadBalancer(Helper helper) {
    this.helper = helper;
  }

  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
    ServiceSnapshot snapshot = resolved.getAttributes().get(KubernetesNameResolver.SNAPSHOT);
    if (snapshot == null) {
      Status status = Status.FAILED_PRECONDITION.withDescription("the kdiscovery load-balancing policy needs a"
          + " kubernetes: target (its resolver hands over the Service's endpoints); got " + resolved.getAddresses());
      fail(status);
      return status;
    }
    Object parsed = resolved.getLoadBalancingPolicyConfig();
    KDiscoveryConfig newConfig = parsed instanceof KDiscoveryConfig c ? c : KDiscoveryConfig.DEFAULT;
    Location newLocation = resolved.getAttributes().get(KubernetesNameResolver.LOCATION);
    if (newLocation == null) {
      newLocation = Location.UNKNOWN;
    }
    if (balancer == null || !newConfig.equals(config) || !newLocation.equals(location)
        || (balancer.snapshot() != null && !balancer.snapshot().key().equals(snapshot.key()))) {
      config = newConfig;
      location = newLocation;
      balancer = newConfig.newBalancer(snapshot.key(), newLocation);
      affinityKey = newConfig.affinityMetadataKey == null ? null
          : Metadata.Key.of(newConfig.affinityMetadataKey, Metadata.ASCII_STRING_MARSHALLER);
    }
    balancer.update(snapshot);
    KDiscovery discovery = resolved.getAttributes().get(KubernetesNameResolver.DISCOVERY);
    if (discovery != null) {
      discovery.balancerServing(snapshot); // the trigger-to-balancer latency of this change
    }

    // Subchannels only for the pods the balancer picks among: with subsetting, this client's subset.
    Set<String> used = new HashSet<>();
    for (Endpoint endpoint : balancer.endpoints()) {
      used.add(endpoint.hostPort());
    }
    Map<String, EquivalentAddressGroup> wanted = new HashMap<>();
    for (EquivalentAddressGroup group : resolved.getAddresses()) {
      Endpoint endpoint = group.getAttributes().get(KubernetesNameResolver.ENDPOINT);
      if (endpoint != null && used.contains(endpoint.hostPort())) {
        wanted.put(endpoint.hostPort(), group);
      }
    }
    for (Iterator<Map.Entry<String, PodSubchannel>> it = subchannels.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, PodSubchannel> entry = it.next();
      EquivalentAddressGroup group = wanted.get(entry.getKey());
      if (group == null) {
        entry.getValue().subchannel.shutdown(); // calls under way on it complete
        it.remove();
      } else if (!group.equals(entry.getValue().subchannel.getAddresses())) {
        entry.getValue().subchannel.updateAddresses(List.of(group)); // new attributes only
      }
    }
    wanted.forEach((hostPort, group) -> subchannels.computeIfAbsent(hostPort, k -> connect(hostPort, group)));
    updatePicker();
    return Status.OK;
  }

  private PodSubchannel connect(String hostPort, EquivalentAddressGroup group) {
    Subchannel subchannel = helper.createSubchannel(CreateSubchannelArgs.newBuilder().setAddresses(group).build());
    PodSubchannel pod = new PodSubchannel(hostPort, subchannel);
    subchannel.start(state -> onSubchannelState(pod, state));
    subchannel.requestConnection();
    return pod;
  }

  private void onSubchannelState(PodSubchannel pod, ConnectivityStateInfo info) {
    if (shutdown || subchannels.get(pod.hostPort) != pod) {
      return; // shut down, or replaced
    }
    ConnectivityState state = info.getState();
    if (state == ConnectivityState.SHUTDOWN) {
      return;
    }
    pod.state = state;
    if (state == ConnectivityState.TRANSIENT_FAILURE) {
      pod.lastFailure = info.getStatus();
    }
    if (state == ConnectivityState.IDLE) {
      pod.subchannel.requestConnection(); // keep every pod connected, ready for the next pick
    }
    updatePicker();
  }

  private void updatePicker() {
    boolean connecting = false;
    Status lastFailure = null;
    for (PodSubchannel pod : subchannels.values()) {
      if (pod.state == ConnectivityState.READY) {
        helper.updateBalancingState(ConnectivityState.READY, new KDiscoveryPicker(balancer, subchannels, affinityKey));
        return;
      }
      if (pod.state == ConnectivityState.TRANSIENT_FAILURE) {
        lastFailure = pod.lastFailure;
      } else {
        connecting = true;
      }
    }
    if (connecting || subchannels.isEmpty()) {
      helper.updateBalancingState(ConnectivityState.CONNECTING, new FixedResultPicker(PickResult.withNoResult()));
      return;
    }
    ServiceSnapshot snapshot = balancer.snapshot();
    helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE, new FixedResultPicker(PickResult.withError(
        Status.UNAVAILABLE.withDescription("no pod of Service " + KubernetesNameResolver.describe(snapshot.key())
            + " can be reached; last failure: " + lastFailure))));
  }

  /**
   * A definite "no pod" from the kubernetes resolver (the Service has no usable endpoint or does not
   * exist: {@link NoUsablePodException}) drops every subchannel, and calls fail fast with the
   * resolver's description. Any other resolver error is taken as transient, as grpc's own policies
   * take it: the last good subchannels keep serving, and only when none of them is READY does the
   * channel go to TRANSIENT_FAILURE with the error (keeping the subchannels, which return to READY by
   * themselves).
   */
  @Override
  public void handleNameResolutionError(Status error) {
    if (error.getCause() instanceof NoUsablePodException || subchannels.isEmpty() || balancer == null) {
      fail(error);
      return;
    }
    for (PodSubchannel pod : subchannels.values()) {
      if (pod.state == ConnectivityState.READY) {
        log.debug("resolver error {}; the {} pods known last keep serving", error, subchannels.size());
        return;
      }
    }
    helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE, new FixedResultPicker(PickResult.withError(error)));
  }

  private void fail(Status error) {
    shutdownSubchannels();
    helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE, new FixedResultPicker(PickResult.withError(error)));
  }

  @Override
  public void requestConnection() {
    for (PodSubchannel pod : subchannels.values()) {
      pod.subchannel.requestConnection();
    }
  }

  @Override
  public void shutdown() {
    shutdown = true;
    shutdownSubchannels();
  }

  private void shutdownSubchannels() {
    for (PodSubchannel pod : subchannels.values()) {
      pod.subchannel.shutdown();
    }
    subchannels.clear();
  }

  /** A pod's subchannel and its last connectivity state, which pickers read from call threads. */
  static final class PodSubchannel {
    final String hostPort;
    final Subchannel subchannel;
    volatile ConnectivityState state = ConnectivityState.IDLE;
    Status lastFailure; // sync context only

    PodSubchannel(String hostPort, Subchannel subchannel) {
      this.hostPort = hostPort;
      this.subchannel = subchannel;
    }
  }
}
