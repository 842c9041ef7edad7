package io.kdiscovery.source.dns;

import static org.awaitility.Awaitility.await;

import java.time.Duration;

/** Fails a test whose DNS sources left a thread of their own running after {@code close()}. */
final class SourceThreads {

  private SourceThreads() {}

  /**
   * Waits (boundedly) for every {@code kdiscovery-dns-*} thread to end. dnsjava's own shared
   * {@code dnsjava NIO selector} thread lives as long as the JVM and is not counted.
   */
  static void awaitNoneLeft() {
    await("the DNS sources' threads to end").atMost(Duration.ofSeconds(10))
        .until(() -> Thread.getAllStackTraces().keySet().stream()
            .noneMatch(t -> t.getName().startsWith("kdiscovery-dns-") && t.isAlive()));
  }
}
