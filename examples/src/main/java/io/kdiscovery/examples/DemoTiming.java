package io.kdiscovery.examples;

import java.time.Duration;

/**
 * How long things take in the demo's cluster: the full demo leaves time to watch each chapter,
 * {@code --quick} runs the same chapters in a few seconds.
 *
 * @param readinessDelay from a pod's start to its readinessProbe's first success
 * @param terminationGrace from a pod's deletion to its process ending (it serves until then)
 * @param chapter how long each chapter sends requests before it reports
 * @param redraw how often the live view is redrawn
 */
record DemoTiming(Duration readinessDelay, Duration terminationGrace, Duration chapter, Duration redraw) {

  static final DemoTiming FULL = new DemoTiming(
      Duration.ofMillis(800), Duration.ofMillis(1500), Duration.ofSeconds(4), Duration.ofMillis(250));
  static final DemoTiming QUICK = new DemoTiming(
      Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofMillis(100));
}
