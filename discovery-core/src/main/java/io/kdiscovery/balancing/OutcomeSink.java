package io.kdiscovery.balancing;

/** Where a {@link Pick} reports its outcome: the balancer's health and latency bookkeeping. */
interface OutcomeSink {

  /** Called once per completion, from the caller's thread; must not block. */
  void record(EndpointState endpoint, Outcome outcome, long latencyNanos);
}
