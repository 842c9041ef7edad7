package io.kdiscovery.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fake clock and scheduler that time-dependent tests stand on. */
class FakeSchedulerTest {

  private final FakeTicker ticker = new FakeTicker();
  private final FakeScheduler scheduler = new FakeScheduler(ticker);
  private final List<String> ran = new ArrayList<>();

  @Test
  void tickerMovesOnlyWhenAdvanced() {
    long start = ticker.read();
    assertThat(ticker.read()).isEqualTo(start);
    ticker.advance(Duration.ofMillis(1500));
    assertThat(ticker.read() - start).isEqualTo(1_500_000_000L);
    assertThat(ticker.elapsed()).isEqualTo(Duration.ofMillis(1500));
    assertThatThrownBy(() -> ticker.advance(Duration.ofSeconds(-1))).hasMessageContaining("back");
  }

  @Test
  void nothingRunsInsideScheduleEvenWithoutDelay() {
    scheduler.schedule(Duration.ZERO, () -> ran.add("now"));
    assertThat(ran).isEmpty();
    assertThat(scheduler.runDueTasks()).isEqualTo(1);
    assertThat(ran).containsExactly("now");
  }

  @Test
  void taskRunsOnlyOnceItsDelayHasPassed() {
    scheduler.schedule(Duration.ofSeconds(5), () -> ran.add("five"));

    scheduler.advance(Duration.ofMillis(4999));
    assertThat(ran).isEmpty();
    scheduler.advance(Duration.ofMillis(1));
    assertThat(ran).containsExactly("five");
    scheduler.advance(Duration.ofHours(1));
    assertThat(ran).containsExactly("five");
  }

  @Test
  void dueTasksRunInOrderOfDueTimeThenOfScheduling() {
    scheduler.schedule(Duration.ofSeconds(3), () -> ran.add("3s"));
    scheduler.schedule(Duration.ofSeconds(1), () -> ran.add("1s-a"));
    scheduler.schedule(Duration.ofSeconds(2), () -> ran.add("2s"));
    scheduler.schedule(Duration.ofSeconds(1), () -> ran.add("1s-b"));

    assertThat(scheduler.advance(Duration.ofSeconds(10))).isEqualTo(4);

    assertThat(ran).containsExactly("1s-a", "1s-b", "2s", "3s");
  }

  @Test
  void eachTaskSeesItsOwnDueTimeAndTimeEndsAtTheTarget() {
    long start = ticker.read();
    List<Long> seen = new ArrayList<>();
    scheduler.schedule(Duration.ofSeconds(2), () -> seen.add(ticker.read() - start));
    scheduler.schedule(Duration.ofSeconds(7), () -> seen.add(ticker.read() - start));

    scheduler.advance(Duration.ofSeconds(10));

    assertThat(seen).containsExactly(2_000_000_000L, 7_000_000_000L);
    assertThat(ticker.read() - start).isEqualTo(10_000_000_000L);
  }

  @Test
  void aTaskScheduledByATaskRunsInTheSameAdvanceWhenItFallsDue() {
    // A retry loop: every second, three times, then stop.
    Runnable[] retry = new Runnable[1];
    retry[0] = () -> {
      ran.add("try@" + ticker.elapsed().toSeconds());
      if (ran.size() < 3) {
        scheduler.schedule(Duration.ofSeconds(1), retry[0]);
      }
    };
    scheduler.schedule(Duration.ofSeconds(1), retry[0]);

    scheduler.advance(Duration.ofMillis(2500));
    assertThat(ran).containsExactly("try@1", "try@2");
    scheduler.advance(Duration.ofSeconds(10));
    assertThat(ran).containsExactly("try@1", "try@2", "try@3");
    assertThat(scheduler.pendingCount()).isZero();
  }

  @Test
  void cancelledTaskNeverRuns() {
    var task = scheduler.schedule(Duration.ofSeconds(1), () -> ran.add("cancelled"));
    scheduler.schedule(Duration.ofSeconds(2), () -> ran.add("kept"));

    assertThat(task.cancel()).isTrue();
    assertThat(task.cancel()).isFalse();
    scheduler.advance(Duration.ofSeconds(5));

    assertThat(ran).containsExactly("kept");
  }

  @Test
  void cancellingATaskThatRanSaysSo() {
    var task = scheduler.schedule(Duration.ZERO, () -> ran.add("done"));
    scheduler.runDueTasks();
    assertThat(task.cancel()).isFalse();
  }

  @Test
  void pendingTasksAreVisibleWithTheirDelays() {
    scheduler.schedule(Duration.ofSeconds(30), () -> { });
    scheduler.schedule(Duration.ofSeconds(5), () -> { });

    assertThat(scheduler.pendingCount()).isEqualTo(2);
    assertThat(scheduler.nextDelay()).contains(Duration.ofSeconds(5));
    scheduler.advance(Duration.ofSeconds(1));
    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofSeconds(4), Duration.ofSeconds(29));
    assertThat(scheduler.ranCount()).isZero();
  }

  @Test
  void advancingTheTickerAloneRunsNothingUntilTheSchedulerIsAsked() {
    scheduler.schedule(Duration.ofSeconds(1), () -> ran.add("due"));
    ticker.advance(Duration.ofSeconds(2));
    assertThat(ran).isEmpty();
    scheduler.runDueTasks();
    assertThat(ran).containsExactly("due");
  }

  @Test
  void aTaskThatThrowsFailsTheAdvanceAndLaterTasksStayPending() {
    scheduler.schedule(Duration.ofSeconds(1), () -> {
      throw new IllegalStateException("bug in the task");
    });
    scheduler.schedule(Duration.ofSeconds(2), () -> ran.add("later"));

    assertThatThrownBy(() -> scheduler.advance(Duration.ofSeconds(3))).hasMessage("bug in the task");
    assertThat(ran).isEmpty();
    assertThat(ticker.elapsed()).isEqualTo(Duration.ofSeconds(1)); // stopped at the failed task
    scheduler.advance(Duration.ofSeconds(1));
    assertThat(ran).containsExactly("later");
  }

  @Test
  void tasksScheduledFromOtherThreadsAreRunOnTheTestsThread() throws Exception {
    List<Thread> threads = new ArrayList<>();
    Thread other = new Thread(() -> scheduler.schedule(Duration.ofMillis(10), () -> threads.add(Thread.currentThread())));
    other.start();
    other.join();

    scheduler.advance(Duration.ofMillis(10));

    assertThat(threads).containsExactly(Thread.currentThread());
  }
}
