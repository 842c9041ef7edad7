package io.kdiscovery.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.testing.FakeScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The open Services of the OkHttp hooks are bounded and expire on the KDiscovery's time, and a Service
 * the cache lets go of closes only when the last call using it is done.
 */
class ServiceLeasesTest {

  /** What an open Service is here: it only counts how often it was closed. */
  static final class Resource {
    final ServiceKey key;
    final AtomicInteger closed = new AtomicInteger();

    Resource(ServiceKey key) {
      this.key = key;
    }
  }

  private final FakeScheduler scheduler = new FakeScheduler();
  private final Queue<Resource> opened = new ConcurrentLinkedQueue<>();

  private ServiceLeases<Resource> leases(ServiceNameOptions options) {
    return new ServiceLeases<>(options, scheduler.ticker(), scheduler, key -> {
      Resource r = new Resource(key);
      opened.add(r);
      return r;
    }, r -> r.closed.incrementAndGet());
  }

  private static ServiceKey key(int n) {
    return ServiceKey.of("default", "web-" + n, 80);
  }

  private long stillOpen() {
    return opened.stream().filter(r -> r.closed.get() == 0).count();
  }

  @Test
  void anIdleServiceIsReleasedOnTheSchedulersTimeWithNoFurtherCall() {
    ServiceLeases<Resource> leases = leases(new ServiceNameOptions());
    leases.acquire(key(1)).close();
    scheduler.advance(Duration.ofMinutes(4));
    leases.acquire(key(1)).close(); // a call within the idle time keeps it
    assertThat(opened).hasSize(1);
    scheduler.advance(Duration.ofMinutes(4).plusSeconds(59));
    assertThat(stillOpen()).isEqualTo(1);
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(opened).singleElement().satisfies(r -> assertThat(r.closed).hasValue(1));
    assertThat(leases.openCount()).isZero();
  }

  @Test
  void aServiceReleasedWhileACallUsesItClosesOnlyWhenTheCallIsDone() {
    ServiceLeases<Resource> leases = leases(new ServiceNameOptions());
    ServiceLeases.Lease<Resource> running = leases.acquire(key(1));
    scheduler.advance(Duration.ofMinutes(6)); // idle in the cache's eyes, yet still in use
    assertThat(leases.openCount()).isZero();
    assertThat(running.resource().closed).hasValue(0);

    ServiceLeases.Lease<Resource> next = leases.acquire(key(1));
    assertThat(next.resource()).as("a fresh one for the next call").isNotSameAs(running.resource());
    running.close();
    running.close(); // idempotent
    assertThat(running.resource().closed).hasValue(1);

    leases.markAbsent(key(1), new IllegalStateException("gone")); // released while next is in use
    assertThat(next.resource().closed).hasValue(0);
    next.close();
    assertThat(next.resource().closed).hasValue(1);
  }

  @Test
  void theCapHoldsAndANewServiceEvictedAtOnceStillServesItsCall() {
    ServiceNameOptions options = new ServiceNameOptions();
    options.maxServices(3);
    ServiceLeases<Resource> leases = leases(options);
    for (int round = 0; round < 5; round++) {
      for (int n = 0; n < 3; n++) {
        leases.acquire(key(n)).close(); // three popular Services
      }
    }
    for (int n = 100; n < 150; n++) {
      ServiceLeases.Lease<Resource> lease = leases.acquire(key(n));
      leases.cleanUp();
      assertThat(lease.resource().closed).as("in use").hasValue(0);
      lease.close();
      leases.cleanUp();
      assertThat(leases.openCount()).isLessThanOrEqualTo(3);
      assertThat(stillOpen()).isLessThanOrEqualTo(3);
    }
    assertThat(opened.stream().filter(r -> r.closed.get() > 1)).as("closed twice").isEmpty();
  }

  @Test
  void aNameThatIsNoServiceIsRememberedForItsTtlAndHoldsNothing() {
    ServiceLeases<Resource> leases = leases(new ServiceNameOptions());
    IllegalStateException why = new IllegalStateException("no Service default/ghost");
    leases.acquire(key(7)).close();
    leases.markAbsent(key(7), why);
    assertThat(leases.whyAbsent("default", "web-7")).isSameAs(why);
    assertThat(stillOpen()).isZero();
    scheduler.advance(Duration.ofSeconds(29));
    assertThat(leases.whyAbsent("default", "web-7")).isSameAs(why);
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(leases.whyAbsent("default", "web-7")).isNull();
    assertThat(leases.absentCount()).isZero();
  }

  @Test
  void takenAndReleasedFromManyThreadsNothingStaysOpenAfterClose() throws Exception {
    ServiceNameOptions options = new ServiceNameOptions();
    options.maxServices(10);
    ServiceLeases<Resource> leases = leases(options);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    AtomicInteger usedClosed = new AtomicInteger();
    try {
      List<Callable<Void>> workers = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        workers.add(() -> {
          for (int i = 0; i < 2_000; i++) {
            try (ServiceLeases.Lease<Resource> lease = leases.acquire(key(ThreadLocalRandom.current().nextInt(50)))) {
              if (lease.resource().closed.get() != 0) {
                usedClosed.incrementAndGet();
              }
            }
          }
          return null;
        });
      }
      for (Future<Void> done : pool.invokeAll(workers)) {
        done.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(usedClosed).as("a call never gets a closed Service").hasValue(0);
    leases.cleanUp();
    assertThat(stillOpen()).isLessThanOrEqualTo(10);
    leases.close();
    assertThat(stillOpen()).isZero();
    assertThat(opened).allSatisfy(r -> assertThat(r.closed).hasValue(1));
    assertThat(leases.acquire(key(1))).as("closed: nothing more is opened").isNull();
  }

  @Test
  void settingsAreCheckedAtOnce() {
    ServiceNameOptions options = new ServiceNameOptions();
    assertThatThrownBy(() -> options.maxServices(0)).hasMessageContaining("maxServices");
    assertThatThrownBy(() -> options.serviceIdleTimeout(Duration.ZERO)).hasMessageContaining("serviceIdleTimeout");
    assertThatThrownBy(() -> options.notAServiceTtl(Duration.ofSeconds(-1))).hasMessageContaining("notAServiceTtl");
    assertThatThrownBy(() -> options.serviceIdleTimeout(null)).isInstanceOf(NullPointerException.class);
  }
}
