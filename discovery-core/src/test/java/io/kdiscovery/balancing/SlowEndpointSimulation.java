package io.kdiscovery.balancing;

import io.kdiscovery.health.OutlierDetection;
import io.kdiscovery.model.Endpoint;
import java.util.PriorityQueue;

/**
 * A discrete-event simulation on fake time: {@code concurrency} callers each send a request as soon as
 * their previous one completes; every endpoint answers in 1 ms except {@code slow}, which takes 20 ms.
 * Returns the share of requests the slow endpoint received.
 */
final class SlowEndpointSimulation {

  private static final long FAST_NANOS = 1_000_000;
  private static final long SLOW_NANOS = 20 * FAST_NANOS;

  private record Completion(long at, Pick pick, long latency) {}

  private SlowEndpointSimulation() {}

  static double slowShare(Policy policy, int endpoints, Endpoint slow, int concurrency, int requests) {
    FakeTicker ticker = new FakeTicker();
    LoadBalancer balancer = LoadBalancer.builder().policy(policy).ticker(ticker)
        .outlierDetection(OutlierDetection.disabled()).build();
    balancer.update(Snapshots.snapshot(1, Snapshots.pods(endpoints)));
    PriorityQueue<Completion> inFlight = new PriorityQueue<>((a, b) -> Long.compare(a.at, b.at));
    int sent = 0;
    int toSlow = 0;
    for (; sent < concurrency; sent++) {
      toSlow += send(balancer, ticker, slow, inFlight);
    }
    while (!inFlight.isEmpty()) {
      Completion done = inFlight.poll();
      ticker.set(done.at);
      done.pick.success(done.latency);
      if (sent < requests) {
        toSlow += send(balancer, ticker, slow, inFlight);
        sent++;
      }
    }
    return toSlow / (double) requests;
  }

  private static int send(LoadBalancer balancer, FakeTicker ticker, Endpoint slow, PriorityQueue<Completion> inFlight) {
    Pick pick = balancer.pick();
    boolean isSlow = pick.endpoint().equals(slow);
    long latency = isSlow ? SLOW_NANOS : FAST_NANOS;
    inFlight.add(new Completion(ticker.read() + latency, pick, latency));
    return isSlow ? 1 : 0;
  }
}
