package io.kdiscovery.grpc;

import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.kdiscovery.balancing.Pick;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reports how one call sent to a picked pod ended, from grpc's stream tracer: its status and its
 * latency from the pick to the close. Made per pick, completed at most once.
 *
 * <p>What counts as the pod failing: {@code UNAVAILABLE}, {@code INTERNAL}, {@code UNKNOWN},
 * {@code DATA_LOSS} and {@code DEADLINE_EXCEEDED}, the statuses of a broken or overloaded server. Any
 * other status means the pod answered (an application error is still an answer). {@code CANCELLED}
 * means the caller gave up, which says nothing about the pod. A pick whose stream is never created
 * (the connection went away in between, and grpc picks again) is never reported here; the balancer
 * reclaims it after its abandoned-pick timeout.
 */
final class OutcomeReporter extends ClientStreamTracer.Factory {

  private final Pick pick;
  private final long pickedAtNanos;
  private final AtomicBoolean reported = new AtomicBoolean();

  OutcomeReporter(Pick pick, long pickedAtNanos) {
    this.pick = pick;
    this.pickedAtNanos = pickedAtNanos;
  }

  @Override
  public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
    return new ClientStreamTracer() {
      @Override
      public void streamClosed(Status status) {
        if (reported.compareAndSet(false, true)) {
          report(status, System.nanoTime() - pickedAtNanos);
        }
      }
    };
  }

  private void report(Status status, long latencyNanos) {
    switch (status.getCode()) {
      case CANCELLED -> pick.cancel();
      case UNAVAILABLE, INTERNAL, UNKNOWN, DATA_LOSS, DEADLINE_EXCEEDED -> pick.failure(latencyNanos);
      default -> pick.success(latencyNanos);
    }
  }
}
