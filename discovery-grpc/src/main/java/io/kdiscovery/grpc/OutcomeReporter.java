package io.kdiscovery.grpc;

import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.model.Endpoint;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Counts one call in flight on its pod from the moment grpc creates its stream until the stream
 * closes, and reports how it ended: its status and its latency from stream creation to close. This is
 * how grpc's own {@code least_request} counts: a pick whose stream is never created (the connection
 * went away in between, and grpc picks again) is never counted, so nothing leaks.
 *
 * <p>What counts as the pod failing: {@code UNAVAILABLE}, {@code INTERNAL}, {@code UNKNOWN},
 * {@code DATA_LOSS} and {@code DEADLINE_EXCEEDED}, the statuses of a broken or overloaded server. Any
 * other status means the pod answered (an application error is still an answer). {@code CANCELLED}
 * means the caller gave up, which says nothing about the pod.
 *
 * <p>Made per pick; grpc may create more than one stream from it (a retry or a hedge), and each
 * stream is counted and reported on its own, exactly once.
 */
final class OutcomeReporter extends ClientStreamTracer.Factory {

  private final LoadBalancer balancer;
  private final Endpoint endpoint;

  OutcomeReporter(LoadBalancer balancer, Endpoint endpoint) {
    this.balancer = balancer;
    this.endpoint = endpoint;
  }

  @Override
  public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
    Pick pick = balancer.start(endpoint);
    long startedAt = System.nanoTime();
    AtomicBoolean reported = new AtomicBoolean();
    return new ClientStreamTracer() {
      @Override
      public void streamClosed(Status status) {
        if (reported.compareAndSet(false, true)) {
          report(pick, status, System.nanoTime() - startedAt);
        }
      }
    };
  }

  private static void report(Pick pick, Status status, long latencyNanos) {
    switch (status.getCode()) {
      case CANCELLED -> pick.cancel();
      case UNAVAILABLE, INTERNAL, UNKNOWN, DATA_LOSS, DEADLINE_EXCEEDED -> pick.failure(latencyNanos);
      default -> pick.success(latencyNanos);
    }
  }
}
