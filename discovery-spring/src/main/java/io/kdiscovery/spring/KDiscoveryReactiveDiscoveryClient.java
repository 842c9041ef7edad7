package io.kdiscovery.spring;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.ReactiveDiscoveryClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A Spring Cloud {@link ReactiveDiscoveryClient} on kdiscovery's live endpoint table; the reactive
 * twin of {@link KDiscoveryDiscoveryClient}, with the same instances.
 *
 * <p>Thread-safe. Each returned {@code Flux} is cold and reads the watches when subscribed. A first
 * lookup may wait for a watch's first list (at most {@code kdiscovery.initial-wait-timeout}), so it
 * runs on Reactor's bounded-elastic scheduler and never blocks the subscriber's thread (a Netty event
 * loop, say); a {@link KDiscoveryUnavailableException} arrives as the Flux's error.
 */
public final class KDiscoveryReactiveDiscoveryClient implements ReactiveDiscoveryClient {

  private final ServiceDirectory directory;
  private final int order;

  KDiscoveryReactiveDiscoveryClient(ServiceDirectory directory, int order) {
    this.directory = directory;
    this.order = order;
  }

  /** {@code kdiscovery.order}: this client's place among several in Spring Cloud's composite client. */
  @Override
  public int getOrder() {
    return order;
  }

  @Override
  public String description() {
    return "kdiscovery (reactive): live EndpointSlice table (source " + directory.discovery().sourceName() + ")";
  }

  @Override
  public Flux<ServiceInstance> getInstances(String serviceId) {
    return Mono.fromCallable(() -> directory.instances(serviceId))
        .subscribeOn(Schedulers.boundedElastic())
        .flatMapIterable(instances -> instances);
  }

  @Override
  public Flux<String> getServices() {
    return Mono.fromCallable(directory::serviceIds)
        .subscribeOn(Schedulers.boundedElastic())
        .flatMapIterable(ids -> ids);
  }
}
