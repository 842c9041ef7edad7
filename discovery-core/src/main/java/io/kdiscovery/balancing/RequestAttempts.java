package io.kdiscovery.balancing;

import io.kdiscovery.model.Endpoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The picks of one request and its retries: each retry goes to an endpoint the request has not tried
 * yet, while one is usable; when every usable endpoint has been tried, a retry goes wherever the policy
 * says, so a retry budget is never wasted on an error.
 *
 * <p>Not thread-safe: one instance per request, used by the thread driving its attempts. Each returned
 * {@link Pick} must be completed as usual.
 *
 * <pre>{@code
 * RequestAttempts attempts = RequestAttempts.start(balancer, PickContext.none());
 * for (int i = 0; i < 3; i++) {
 *   Pick pick = attempts.next();
 *   ... send to pick.endpoint(), complete the pick, return on success ...
 * }
 * }</pre>
 */
public final class RequestAttempts {

  private final LoadBalancer balancer;
  private final PickContext context;
  private final List<Endpoint> tried = new ArrayList<>();

  private RequestAttempts(LoadBalancer balancer, PickContext context) {
    this.balancer = balancer;
    this.context = context;
  }

  public static RequestAttempts start(LoadBalancer balancer, PickContext context) {
    return new RequestAttempts(Objects.requireNonNull(balancer, "balancer"),
        Objects.requireNonNull(context, "context"));
  }

  /**
   * The pick for the next attempt.
   *
   * @throws NoEndpointException when the balancer has no endpoint at all
   */
  public Pick next() {
    Pick pick = balancer.pick(tried.isEmpty() ? context : context.excluding(tried));
    tried.add(pick.endpoint());
    return pick;
  }

  /** The endpoints picked so far, first attempt first. */
  public List<Endpoint> tried() {
    return Collections.unmodifiableList(tried);
  }
}
