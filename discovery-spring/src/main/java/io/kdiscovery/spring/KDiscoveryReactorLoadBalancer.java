package io.kdiscovery.spring;

import io.kdiscovery.BalancedService;
import io.kdiscovery.balancing.NoEndpointException;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.balancing.PickContext;
import io.kdiscovery.table.SnapshotTimeoutException;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.EmptyResponse;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RetryableRequestContext;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Spring Cloud LoadBalancer's per-request choice, made by kdiscovery's {@link
 * io.kdiscovery.balancing.LoadBalancer}: the policy of {@code kdiscovery.policy} (or
 * {@code kdiscovery.services.<id>.policy}), sticky affinity by the configured header, cookie or client
 * IP, and passive health fed by {@link OutcomeLifecycle}.
 *
 * <p>Thread-safe; one per service id (Spring Cloud creates it in the id's child context). Once the
 * service id's balancer holds a snapshot, {@link #choose} completes at once on the caller's thread:
 * it only picks, it never updates or rebuilds the balancer (snapshots reach the balancer on the
 * table's delivery thread). The first request of an id finds its Service in the catalog and waits for
 * the balancer's first snapshot on Reactor's bounded-elastic scheduler, never past the deadline of
 * {@code kdiscovery.initial-wait-timeout}; past it, requests fail at once with
 * {@link KDiscoveryUnavailableException} until the API server answers.
 *
 * <p>A retry (Spring Cloud LoadBalancer's {@code RetryableRequestContext}) never goes back to the
 * instance that just failed. No endpoint answers with an empty response, which Spring Cloud turns
 * into "No instances available".
 */
public final class KDiscoveryReactorLoadBalancer implements ReactorServiceInstanceLoadBalancer {

  private static final Logger log = LoggerFactory.getLogger(KDiscoveryReactorLoadBalancer.class);

  private final String serviceId;
  /** The service id as meters are tagged with it once its Service is known: one spelling per id. */
  private final String meterId;
  private final ServiceDirectory directory;
  private final AffinityKeys affinity;
  private final PickRecorder recorder;
  private volatile ServiceDirectory.Entry entry;

  KDiscoveryReactorLoadBalancer(String serviceId, ServiceDirectory directory, PickRecorder recorder) {
    this.serviceId = serviceId;
    this.meterId = serviceId.toLowerCase(Locale.ROOT);
    this.directory = directory;
    this.affinity = new AffinityKeys(directory.affinitySettings(serviceId));
    this.recorder = recorder;
  }

  @Override
  @SuppressWarnings("rawtypes") // Spring Cloud's ReactorLoadBalancer declares the raw type
  public Mono<Response<ServiceInstance>> choose(Request request) {
    ServiceDirectory.Entry known = entry;
    if (known != null && !known.isClosed()) {
      directory.touch(known);
      BalancedService balanced = known.balanced(serviceId);
      if (balanced.balancer().snapshot() != null) {
        return Mono.just(pick(known, balanced, request));
      }
    }
    return Mono.fromCallable(() -> firstPick(request)).subscribeOn(Schedulers.boundedElastic());
  }

  /** Finds the Service and waits for the balancer's first snapshot, within the deadline. */
  private Response<ServiceInstance> firstPick(Request<?> request) {
    Optional<ServiceDirectory.Entry> found = directory.entryForBalancing(serviceId);
    if (found.isEmpty()) {
      return noEndpoint("no Service for service id '" + serviceId + "'", false);
    }
    ServiceDirectory.Entry opened = found.get();
    BalancedService balanced = opened.balanced(serviceId);
    if (balanced.balancer().snapshot() == null) {
      Duration remaining = opened.remainingWait();
      if (!(!remaining.isNegative() && !remaining.isZero())) {
        throw opened.unavailable(null);
      }
      try {
        balanced.awaitSnapshot(remaining); // returns once the balancer itself holds the snapshot
      } catch (SnapshotTimeoutException e) {
        throw opened.unavailable(e);
      }
    }
    if (!directory.settle(opened, balanced.balancer().snapshot())) {
      return noEndpoint("no Service for service id '" + serviceId + "'", false);
    }
    entry = opened;
    return pick(opened, balanced, request);
  }

  private Response<ServiceInstance> pick(ServiceDirectory.Entry current, BalancedService balanced, Request<?> request) {
    PickContext context = affinity.contextOf(request);
    Endpoint previous = previousEndpoint(request);
    if (previous != null) {
      context = context.excluding(List.of(previous));
    }
    Pick pick;
    try {
      pick = balanced.pick(context);
    } catch (NoEndpointException e) {
      return noEndpoint(e.getMessage(), true);
    }
    return new DefaultResponse(new PickedInstance(meterId, instanceOf(current, pick.endpoint(), balanced), pick));
  }

  /** The pod a retry's previous attempt went to, which the retry must not go back to. */
  private static Endpoint previousEndpoint(Request<?> request) {
    if (request == null || !(request.getContext() instanceof RetryableRequestContext retry)
        || retry.getPreviousServiceInstance() == null) {
      return null;
    }
    ServiceInstance previous = retry.getPreviousServiceInstance();
    if (previous instanceof PickedInstance picked) {
      // Not picked.pick().endpoint(): the previous attempt's pick is completed by now, and a completed
      // pooled handle may already describe another request's pod.
      return picked.endpoint();
    }
    try {
      return Endpoint.of(previous.getHost(), previous.getPort());
    } catch (IllegalArgumentException e) {
      log.debug("previous instance {} is not a pod address; nothing excluded", previous, e);
      return null;
    }
  }

  private KDiscoveryServiceInstance instanceOf(ServiceDirectory.Entry current, Endpoint endpoint, BalancedService balanced) {
    ServiceSnapshot snapshot = balanced.balancer().snapshot();
    KDiscoveryServiceInstance instance = current.view(snapshot).byHostPort().get(endpoint.hostPort());
    if (instance == null) {
      // A newer snapshot replaced the one picked from in between; describe the pod without metadata.
      instance = new KDiscoveryServiceInstance(current.key().name(), endpoint, false, Map.of(),
          current.key().namespace(), Map.of());
    }
    return instance;
  }

  /**
   * @param serviceExists whether the id names a Service: only then do meters carry the id, so that ids
   *     taken from requests for names that are no Service cannot add meters
   */
  private Response<ServiceInstance> noEndpoint(String why, boolean serviceExists) {
    log.debug("no pod for service id '{}': {}", serviceId, why);
    recorder.record(serviceExists ? meterId : PickRecorder.UNKNOWN_SERVICE, "no_endpoint", -1);
    return new EmptyResponse();
  }
}
