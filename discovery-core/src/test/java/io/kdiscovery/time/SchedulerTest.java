package io.kdiscovery.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The library's real scheduler: one named daemon thread, tasks in order, cancellation honoured. */
class SchedulerTest {

  private static final Duration BOUND = Duration.ofSeconds(10);
  private final List<String> ran = new CopyOnWriteArrayList<>();

  @Test
  void systemSchedulerRunsTasksOnOneNamedDaemonThread() {
    AtomicReference<Thread> first = new AtomicReference<>();
    AtomicReference<Thread> second = new AtomicReference<>();

    Scheduler.system().schedule(Duration.ZERO, () -> first.set(Thread.currentThread()));
    Scheduler.system().schedule(Duration.ofMillis(20), () -> second.set(Thread.currentThread()));

    await().atMost(BOUND).until(() -> first.get() != null && second.get() != null);
    assertThat(first.get().getName()).isEqualTo("kdiscovery-scheduler");
    assertThat(first.get().isDaemon()).isTrue();
    assertThat(second.get()).isSameAs(first.get());
    assertThat(Scheduler.system()).isSameAs(Scheduler.system());
  }

  @Test
  void systemSchedulerKeepsOneThreadHoweverManyTasks() {
    for (int i = 0; i < 500; i++) {
      Scheduler.system().schedule(Duration.ofMillis(i % 7), () -> ran.add("x"));
    }
    await().atMost(BOUND).until(() -> ran.size() == 500);
    assertThat(Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("kdiscovery-scheduler"))).hasSize(1);
  }

  @Test
  void cancelledTaskNeverRuns() {
    RealScheduler scheduler = new RealScheduler("kdiscovery-scheduler-test");
    try {
      Scheduler.Task cancelled = scheduler.schedule(Duration.ofMillis(50), () -> ran.add("cancelled"));
      assertThat(cancelled.cancel()).isTrue();
      // One thread runs tasks in order of due time: once the later marker has run, the cancelled
      // task's time has long passed.
      scheduler.schedule(Duration.ofMillis(200), () -> ran.add("marker"));

      await().atMost(BOUND).until(() -> ran.contains("marker"));
      assertThat(ran).containsExactly("marker");
      assertThat(cancelled.cancel()).isFalse();
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void tasksRunInOrderOfDueTime() {
    Scheduler.system().schedule(Duration.ofMillis(300), () -> ran.add("300"));
    Scheduler.system().schedule(Duration.ofMillis(100), () -> ran.add("100"));
    Scheduler.system().schedule(Duration.ofMillis(200), () -> ran.add("200"));

    await().atMost(BOUND).until(() -> ran.size() == 3);
    assertThat(ran).containsExactly("100", "200", "300");
  }

  @Test
  void aTaskThatThrowsDoesNotStopTheScheduler() {
    Scheduler.system().schedule(Duration.ZERO, () -> {
      throw new IllegalStateException("a bug in a task (logged on purpose by this test)");
    });
    Scheduler.system().schedule(Duration.ofMillis(10), () -> ran.add("after"));

    await().atMost(BOUND).until(() -> ran.contains("after"));
  }

  @Test
  void workIsHandedToTheCallersExecutor() throws Exception {
    ExecutorService serial = Executors.newSingleThreadExecutor(DaemonThreads.factory("kdiscovery-test-serial"));
    try {
      AtomicReference<String> thread = new AtomicReference<>();
      Scheduler.system().schedule(Duration.ofMillis(10), serial, () -> thread.set(Thread.currentThread().getName()));
      await().atMost(BOUND).until(() -> thread.get() != null);
      assertThat(thread.get()).isEqualTo("kdiscovery-test-serial-1");
    } finally {
      serial.shutdown();
      assertThat(serial.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void workForAShutDownExecutorIsDroppedNotThrown() {
    ExecutorService closed = Executors.newSingleThreadExecutor(DaemonThreads.factory("kdiscovery-test-closed"));
    closed.shutdown();
    Scheduler.system().schedule(Duration.ZERO, closed, () -> ran.add("never"));
    Scheduler.system().schedule(Duration.ofMillis(10), () -> ran.add("scheduler still runs"));

    await().atMost(BOUND).until(() -> ran.contains("scheduler still runs"));
    assertThat(ran).doesNotContain("never");
  }

  @Test
  void aDelayTooLongForNanosecondsIsAcceptedAndCancellable() {
    Scheduler.Task task = Scheduler.system().schedule(Duration.ofDays(365L * 1_000_000), () -> ran.add("never"));
    assertThat(task.cancel()).isTrue();
  }
}
