package io.kdiscovery.spring;

import io.kdiscovery.BalancedService;
import io.kdiscovery.balancing.NoEndpointException;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceSnapshot;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.EmptyResponse;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Spring Cloud LoadBalancer's per-request choice, made by kdiscovery's {@link
 * io.kdiscovery.balancing.LoadBalancer}: the policy of {@code kdiscovery.policy}, sticky affinity by
 * the configured header, cookie or client IP, and passive health fed by {@link OutcomeLifecycle}.
 *
 * <p>Thread-safe; one per service id (Spring Cloud creates it in the id's child context). Once the
 * service id's table exists, {@link #choose} completes at once on the caller's thread without
 * blocking. The first request of an id reads the Service and waits for its first table on Reactor's
 * bounded-elastic scheduler, at most {@code kdiscovery.initial-wait-timeout}.
 *
 * <p>Every pick is made from the table's latest snapshot: when the table has a newer snapshot than
 * the balancer (its listener has not run yet), the pick brings the balancer up to date first. So the
 * first request after the table learned that a pod is gone never goes to that pod. No endpoint
 * answers with an empty response, which Spring Cloud turns into "No instances available".
 */
public final class KDiscoveryReactorLoadBalancer implements ReactorServiceInstanceLoadBalancer {

  private static final Logger log = LoggerFactory.getLogger(KDiscoveryReactorLoadBalancer.class);

  private final String serviceId;
  private final ServiceDirectory directory;
  private final AffinityKeys affinity;
  private final PickRecorder recorder;
  private final Duration initialWait;
  private volatile ServiceDirectory.Entry entry;

  KDiscoveryReactorLoadBalancer(String serviceId, ServiceDirectory directory, KDiscoveryProperties properties,
      PickRecorder recorder) {
    this.serviceId = serviceId;
    this.directory = directory;
    this.affinity = new AffinityKeys(properties.getAffinity());
    this.recorder = recorder;
    this.initialWait = properties.getInitialWaitTimeout();
  }

  @Override
  @SuppressWarnings("rawtypes") // Spring Cloud's ReactorLoadBalancer declares the raw type
  public Mono<Response<ServiceInstance>> choose(Request request) {
    ServiceDirectory.Entry known = entry;
    if (known != null && known.handle().snapshot().isPresent()) {
      return Mono.just(pick(known, request));
    }
    return Mono.fromCallable(() -> directory.entry(serviceId))
        .subscribeOn(Schedulers.boundedElastic())
        .flatMap(found -> found.isEmpty() ? Mono.just(noEndpoint("service not found")) : firstPick(found.get(), request));
  }

  private Mono<Response<ServiceInstance>> firstPick(ServiceDirectory.Entry opened, Request<?> request) {
    entry = opened;
    return Mono.fromFuture(opened.handle().firstSnapshot().copy())
        .timeout(initialWait)
        .map(snapshot -> pick(opened, request))
        .onErrorResume(java.util.concurrent.TimeoutException.class,
            e -> Mono.just(noEndpoint("no table within " + initialWait)));
  }

  private Response<ServiceInstance> pick(ServiceDirectory.Entry current, Request<?> request) {
    BalancedService balanced = current.balanced();
    Optional<ServiceSnapshot> latest = current.handle().snapshot();
    ServiceSnapshot held = balanced.balancer().snapshot();
    if (latest.isPresent() && (held == null || held.version() < latest.get().version())) {
      balanced.balancer().update(latest.get()); // serialized with the table listener's updates
    }
    Pick pick;
    try {
      pick = balanced.pick(affinity.contextOf(request));
    } catch (NoEndpointException e) {
      return noEndpoint(e.getMessage());
    }
    return new DefaultResponse(new PickedInstance(instanceOf(current, pick.endpoint(), balanced), pick));
  }

  private KDiscoveryServiceInstance instanceOf(ServiceDirectory.Entry current, Endpoint endpoint, BalancedService balanced) {
    ServiceSnapshot snapshot = balanced.balancer().snapshot();
    KDiscoveryServiceInstance instance = current.view(snapshot).byHostPort().get(endpoint.hostPort());
    if (instance == null) {
      // A newer snapshot replaced the one picked from in between; describe the pod without metadata.
      instance = new KDiscoveryServiceInstance(serviceId, endpoint, false, Map.of());
    }
    return instance;
  }

  private Response<ServiceInstance> noEndpoint(String why) {
    log.debug("no pod for service id '{}': {}", serviceId, why);
    recorder.record(serviceId, "no_endpoint");
    return new EmptyResponse();
  }
}
