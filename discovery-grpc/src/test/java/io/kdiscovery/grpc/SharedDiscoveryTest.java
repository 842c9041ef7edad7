package io.kdiscovery.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.testing.FakeScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The shared default instance is reference counted and closed a delay after its last release. */
class SharedDiscoveryTest {

  private final FakeScheduler scheduler = new FakeScheduler();
  private final List<CountingSource> sources = new ArrayList<>();
  private final SharedDiscovery shared = new SharedDiscovery(() -> {
    CountingSource source = new CountingSource();
    sources.add(source);
    return KDiscovery.builder().source(source).build();
  }, scheduler, Runnable::run);

  @Test
  void everyChannelGetsTheSameInstanceWhileAnyHoldsIt() {
    KDiscovery first = shared.acquire();
    KDiscovery second = shared.acquire();

    assertThat(second).isSameAs(first);
    assertThat(sources).hasSize(1);
    assertThat(shared.references()).isEqualTo(2);
  }

  @Test
  void theLastReleaseClosesTheInstanceAfterTheDelay() {
    KDiscovery first = shared.acquire();
    KDiscovery second = shared.acquire();
    shared.release(first);
    scheduler.advance(Duration.ofHours(1));
    assertThat(sources.get(0).closed.get()).as("still held by a channel").isZero();

    shared.release(second);
    scheduler.advance(SharedDiscovery.CLOSE_DELAY.minusMillis(1));
    assertThat(sources.get(0).closed.get()).isZero();
    scheduler.advance(Duration.ofMillis(1));

    assertThat(sources.get(0).closed.get()).isEqualTo(1);
    assertThat(shared.isOpen()).isFalse();
  }

  @Test
  void aChannelRebuiltWithinTheDelayKeepsTheInstance() {
    KDiscovery first = shared.acquire();
    shared.release(first);
    scheduler.advance(Duration.ofMillis(500));

    KDiscovery again = shared.acquire();
    scheduler.advance(Duration.ofHours(1));

    assertThat(again).isSameAs(first);
    assertThat(sources).hasSize(1);
    assertThat(sources.get(0).closed.get()).isZero();
    assertThat(scheduler.pendingCount()).isZero();
  }

  @Test
  void aChannelAfterTheCloseGetsAFreshInstance() {
    KDiscovery first = shared.acquire();
    shared.release(first);
    scheduler.advance(SharedDiscovery.CLOSE_DELAY);

    KDiscovery fresh = shared.acquire();

    assertThat(fresh).isNotSameAs(first);
    assertThat(sources).hasSize(2);
    assertThat(sources.get(1).closed.get()).isZero();
  }

  @Test
  void releasingTooOftenOrAStaleInstanceChangesNothing() {
    KDiscovery first = shared.acquire();
    shared.release(first);
    shared.release(first); // a second shutdown of the same resolver
    scheduler.advance(SharedDiscovery.CLOSE_DELAY);
    KDiscovery fresh = shared.acquire();

    shared.release(first); // the old, closed one

    assertThat(shared.references()).isEqualTo(1);
    assertThat(shared.isOpen()).isTrue();
    assertThat(sources.get(0).closed.get()).isEqualTo(1);
    assertThat(fresh).isNotSameAs(first);
  }

  /** A source that watches nothing and counts its closes. */
  private static final class CountingSource implements EndpointSource {
    final AtomicInteger closed = new AtomicInteger();

    @Override
    public String name() {
      return "counting";
    }

    @Override
    public Watch watch(ServiceKey key, Listener listener) {
      return () -> { };
    }

    @Override
    public void close() {
      closed.incrementAndGet();
    }
  }
}
