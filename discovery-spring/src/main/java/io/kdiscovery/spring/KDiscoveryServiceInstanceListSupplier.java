package io.kdiscovery.spring;

import io.kdiscovery.table.Subscription;
import java.util.List;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A {@link ServiceInstanceListSupplier} that emits a service id's instances again on every new
 * snapshot of its live table: no cache, no TTL, so a removed pod leaves the list as soon as the table
 * has the change.
 *
 * <p>Thread-safe. Each subscription to {@link #get()} is cold: it receives the current list first (once
 * the table has one) and then one list per snapshot, on a table listener thread; a slow subscriber
 * receives the newest list next and skips the ones in between. Cancelling stops the deliveries. A
 * Service that does not exist emits one empty list. For Spring Cloud LoadBalancer's own balancers;
 * kdiscovery's {@link KDiscoveryReactorLoadBalancer} reads the table directly.
 */
public final class KDiscoveryServiceInstanceListSupplier implements ServiceInstanceListSupplier {

  private final String serviceId;
  private final ServiceDirectory directory;

  KDiscoveryServiceInstanceListSupplier(String serviceId, ServiceDirectory directory) {
    this.serviceId = serviceId;
    this.directory = directory;
  }

  @Override
  public String getServiceId() {
    return serviceId;
  }

  @Override
  public Flux<List<ServiceInstance>> get() {
    // The first lookup of an id may wait for the catalog or the table: keep it off the caller's thread.
    // Without a catalog, a name that is no Service is settled here, so nothing stays open for it.
    return Mono.fromCallable(() -> directory.entryForBalancing(serviceId).filter(directory::isService))
        .subscribeOn(Schedulers.boundedElastic())
        .flatMapMany(entry -> entry.map(KDiscoveryServiceInstanceListSupplier::live)
            .orElseGet(() -> Flux.just(List.of())));
  }

  private static Flux<List<ServiceInstance>> live(ServiceDirectory.Entry entry) {
    return Flux.create(sink -> {
      Subscription subscription = entry.handle()
          .subscribe(snapshot -> sink.next(entry.view(snapshot).instances()));
      sink.onDispose(subscription::close);
    }, FluxSink.OverflowStrategy.LATEST);
  }
}
