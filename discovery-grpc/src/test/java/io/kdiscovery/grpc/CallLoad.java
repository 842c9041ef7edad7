package io.kdiscovery.grpc;

import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Calls running throughout a test: a few threads calling {@link Whoami} back to back until stopped,
 * recording which pod answered each call and every failure.
 */
final class CallLoad implements AutoCloseable {

  private final Channel channel;
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Map<String, AtomicLong> callsPerPod = new ConcurrentHashMap<>();
  private final List<StatusRuntimeException> failures = new CopyOnWriteArrayList<>();
  private final Deque<String> recent = new ArrayDeque<>(); // guarded by itself
  private final AtomicLong total = new AtomicLong();

  private CallLoad(Channel channel, int threadCount) {
    this.channel = channel;
    for (int i = 0; i < threadCount; i++) {
      Thread thread = new Thread(this::run, "call-load-" + i);
      thread.setDaemon(true);
      threads.add(thread);
    }
  }

  static CallLoad start(Channel channel, int threads) {
    CallLoad load = new CallLoad(channel, threads);
    load.threads.forEach(Thread::start);
    return load;
  }

  private void run() {
    while (running.get()) {
      try {
        String pod = Whoami.call(channel);
        callsPerPod.computeIfAbsent(pod, p -> new AtomicLong()).incrementAndGet();
        synchronized (recent) {
          recent.addLast(pod);
          if (recent.size() > 100) {
            recent.removeFirst();
          }
        }
      } catch (StatusRuntimeException e) {
        failures.add(e);
      }
      total.incrementAndGet();
    }
  }

  /** The pods that answered the last {@code n} successful calls. */
  List<String> recentPods(int n) {
    synchronized (recent) {
      List<String> all = new ArrayList<>(recent);
      return all.subList(Math.max(0, all.size() - n), all.size());
    }
  }

  long callsTo(String pod) {
    AtomicLong calls = callsPerPod.get(pod);
    return calls == null ? 0 : calls.get();
  }

  /** Calls made so far, failed or not. */
  long total() {
    return total.get();
  }

  List<StatusRuntimeException> failures() {
    return List.copyOf(failures);
  }

  @Override
  public void close() {
    stop();
  }

  /** Stops the threads after their current call; returns once they have. */
  void stop() {
    running.set(false);
    for (Thread thread : threads) {
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
