package io.kdiscovery.table;

import org.slf4j.Logger;

/**
 * How kdiscovery reports what a listener (application code) threw: one line with the cause, at WARN
 * for an exception and at ERROR for an {@link Error}, and delivery goes on. Catching an {@code Error}
 * from application code is deliberate: a {@code StackOverflowError}, an {@code AssertionError} or a
 * class that failed to initialise in one listener must not silently stop deliveries to it, nor kill
 * a shared library thread.
 */
final class Listeners {

  private Listeners() {
  }

  /**
   * Logs that {@code who} threw {@code thrown} on version {@code version} of {@code what}.
   *
   * @param log the logger of the class that called the listener
   * @param who names the listener, e.g. {@code "listener " + listener}
   * @param what names the values delivered, e.g. a Service key
   */
  static void report(Logger log, String who, String what, long version, Throwable thrown) {
    if (thrown instanceof Error) {
      log.error("{} threw {} on {} v{}; it keeps receiving later ones", who, thrown, what, version, thrown);
    } else {
      log.warn("{} threw on {} v{}; it keeps receiving later ones", who, what, version, thrown);
    }
  }
}
