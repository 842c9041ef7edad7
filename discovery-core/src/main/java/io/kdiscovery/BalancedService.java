package io.kdiscovery;

import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.NoEndpointException;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.balancing.PickContext;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.SnapshotTimeoutException;
import io.kdiscovery.table.Subscription;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A Service port's live table bound to a {@link LoadBalancer}: every new snapshot reaches the
 * balancer before anyone else can see it, and each request asks for a pick.
 *
 * <pre>{@code
 * try (BalancedService hostnames = discovery.balance("hostnames.default:80", LoadBalancer.builder())) {
 *   hostnames.awaitSnapshot(Duration.ofSeconds(5));
 *   Pick pick = hostnames.pick();
 *   long start = System.nanoTime();
 *   try {
 *     call(pick.endpoint());                      // the request itself, straight to the pod
 *     pick.success(System.nanoTime() - start);
 *   } catch (IOException e) {
 *     pick.failure(System.nanoTime() - start);
 *   }
 * }
 * }</pre>
 *
 * <p>Thread-safe: {@link #pick} may be called from any number of threads and follows the balancer's
 * contract (lock-free, allocation-free for the plain call). Closing releases the Service's table.
 *
 * <p>The balancer is updated inline, in the table's serial update context ({@link
 * ServiceHandle#subscribeInline}), before a snapshot is visible through the handle and before any
 * subscriber receives it: whoever has seen version N of the Service, and picks, picks from N or later,
 * never from a pod that N took out.
 */
public final class BalancedService implements AutoCloseable {

  private static final long INLINE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final ServiceHandle handle;
  private final LoadBalancer balancer;
  private final Subscription subscription;
  private final CompletableFuture<ServiceSnapshot> firstUpdate = new CompletableFuture<>();

  BalancedService(ServiceHandle handle, LoadBalancer balancer) {
    this(handle, balancer, snapshot -> {});
  }

  /** @param serving told of each snapshot once the balancer picks from it (for the programming latency) */
  BalancedService(ServiceHandle handle, LoadBalancer balancer, java.util.function.Consumer<ServiceSnapshot> serving) {
    this.handle = handle;
    this.balancer = balancer;
    // The table's serial update context is the balancer's single updater.
    this.subscription = handle.subscribeInline(snapshot -> {
      balancer.update(snapshot);
      serving.accept(snapshot);
      firstUpdate.complete(snapshot);
    });
  }

  public ServiceKey key() {
    return handle.key();
  }

  /**
   * Waits until the balancer holds the Service's first complete snapshot.
   *
   * @throws io.kdiscovery.table.SnapshotTimeoutException after {@code timeout}
   */
  public ServiceSnapshot awaitSnapshot(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    handle.awaitSnapshot(timeout); // its timeout says why, with the timeout the caller gave
    // The table has a snapshot. A table may hand a new inline listener the current snapshot a moment
    // later on its update thread: wait for the balancer's own first update, at least a second.
    long wait = Math.max(deadline - System.nanoTime(), INLINE_GRACE_NANOS);
    try {
      firstUpdate.get(wait, TimeUnit.NANOSECONDS);
      return balancer.snapshot();
    } catch (TimeoutException | ExecutionException e) {
      throw new SnapshotTimeoutException("the table of " + handle.key() + " has a snapshot but its"
          + " balancer received none within " + timeout + ": is the table's update thread stuck?", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SnapshotTimeoutException("interrupted while waiting for a snapshot of " + handle.key(), e);
    }
  }

  /**
   * Picks the endpoint for one request; see {@link Pick} for what to do with it.
   *
   * @throws NoEndpointException naming the Service and the reason when there is none to pick
   */
  public Pick pick() {
    return balancer.pick();
  }

  /** Picks with a request context: an affinity or hash key, the caller's zone, endpoints to avoid. */
  public Pick pick(PickContext context) {
    return balancer.pick(context);
  }

  /** The balancer itself. */
  public LoadBalancer balancer() {
    return balancer;
  }

  /** The table handle, for its status and for subscribing to snapshots. */
  public ServiceHandle handle() {
    return handle;
  }

  @Override
  public void close() {
    subscription.close();
    handle.close();
  }
}
