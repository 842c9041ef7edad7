package io.kdiscovery.spring;

import io.kdiscovery.balancing.Pick;
import io.kdiscovery.model.Endpoint;
import java.net.URI;
import java.util.Map;
import org.springframework.cloud.client.ServiceInstance;

/**
 * The instance chosen for one request, carrying kdiscovery's {@link Pick} so that
 * {@link OutcomeLifecycle} can report how the request went. Spring Cloud hands the chosen
 * {@code ServiceInstance} through to its lifecycle callbacks, blocking and reactive clients alike,
 * which is why the pick travels here and not in the response object.
 *
 * <p>One per request. The start time is written by the request's thread before it is sent and read
 * on completion, which Spring Cloud orders after it; the completion flag makes a second completion
 * (a retry's lifecycle calling twice) harmless.
 */
final class PickedInstance implements ServiceInstance {

  private final String balancedId;
  private final KDiscoveryServiceInstance instance;
  private final Pick pick;
  private final Endpoint endpoint;
  private volatile long startNanos;
  private final java.util.concurrent.atomic.AtomicBoolean completed = new java.util.concurrent.atomic.AtomicBoolean();

  PickedInstance(String balancedId, KDiscoveryServiceInstance instance, Pick pick) {
    this.balancedId = balancedId;
    this.instance = instance;
    this.pick = pick;
    this.endpoint = pick.endpoint(); // read now: once completed, a pooled handle belongs to another request
    this.startNanos = System.nanoTime();
  }

  /** The service id the load balancer picked for: what metrics are tagged with. */
  String balancedId() {
    return balancedId;
  }

  /** The pick, to complete once; never read after completion (a completed handle may be reused). */
  Pick pick() {
    return pick;
  }

  /** The pod this request was sent to, kept from the moment of the pick: what a retry excludes. */
  Endpoint endpoint() {
    return endpoint;
  }

  void markStarted() {
    startNanos = System.nanoTime();
  }

  long elapsedNanos() {
    return System.nanoTime() - startNanos;
  }

  /** True for the first caller only: the one that completes the pick. */
  boolean claimCompletion() {
    return completed.compareAndSet(false, true);
  }

  @Override
  public String getInstanceId() {
    return instance.getInstanceId();
  }

  @Override
  public String getServiceId() {
    return instance.getServiceId();
  }

  @Override
  public String getHost() {
    return instance.getHost();
  }

  @Override
  public int getPort() {
    return instance.getPort();
  }

  @Override
  public boolean isSecure() {
    return instance.isSecure();
  }

  @Override
  public URI getUri() {
    return instance.getUri();
  }

  @Override
  public String getScheme() {
    return instance.getScheme();
  }

  @Override
  public Map<String, String> getMetadata() {
    return instance.getMetadata();
  }

  @Override
  public String toString() {
    return instance.toString();
  }
}
