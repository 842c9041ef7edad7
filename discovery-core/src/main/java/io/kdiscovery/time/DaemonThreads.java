package io.kdiscovery.time;

import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way kdiscovery makes threads: named, daemon, and logging what they throw.
 *
 * <p>Thread-safe. A library thread must be a daemon so that an application whose {@code main}
 * returns exits even when it forgot to close kdiscovery; it must carry a {@code kdiscovery-} name so
 * a thread dump says whose it is and tests can count what is left after {@code close()}. An
 * exception that escapes a thread's task is logged at ERROR with the thread's name rather than
 * printed to stderr by the JVM's default handler, or lost.
 */
public final class DaemonThreads {

  private static final Logger log = LoggerFactory.getLogger(DaemonThreads.class);
  private static final Thread.UncaughtExceptionHandler LOG_UNCAUGHT = (thread, error) ->
      log.error("kdiscovery: thread {} ended with an uncaught exception", thread.getName(), error);

  private DaemonThreads() {}

  /**
   * A factory of daemon threads named {@code <prefix>-1}, {@code <prefix>-2}, ...; the counter is
   * the factory's own, so two pools with the same prefix are told apart only by their numbers.
   *
   * @param prefix e.g. {@code kdiscovery-dns}; must start with {@code kdiscovery-}
   * @throws IllegalArgumentException when the prefix does not start with {@code kdiscovery-}
   */
  public static ThreadFactory factory(String prefix) {
    checkName(prefix);
    AtomicInteger count = new AtomicInteger();
    return task -> newThread(prefix + "-" + count.incrementAndGet(), task);
  }

  /**
   * One daemon thread of this exact name, not started.
   *
   * @throws IllegalArgumentException when the name does not start with {@code kdiscovery-}
   */
  public static Thread newThread(String name, Runnable task) {
    checkName(name);
    Objects.requireNonNull(task, "task");
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    thread.setUncaughtExceptionHandler(LOG_UNCAUGHT);
    return thread;
  }

  private static void checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (!name.startsWith("kdiscovery-") || name.length() == "kdiscovery-".length()) {
      throw new IllegalArgumentException("a kdiscovery thread name starts with 'kdiscovery-': '" + name + "'");
    }
  }
}
