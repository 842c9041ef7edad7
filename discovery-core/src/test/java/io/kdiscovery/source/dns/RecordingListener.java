package io.kdiscovery.source.dns;

import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.SourceState;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Records everything a watch delivers, in order, and fails the test if two calls ever overlap.
 * Thread-safe.
 */
final class RecordingListener implements EndpointSource.Listener {

  /** One delivery: a state, or a failure's reason and cause. */
  record Event(SourceState state, String reason, Throwable cause) {
    boolean isState() {
      return state != null;
    }

    @Override
    public String toString() {
      return isState() ? "state " + state : "failure " + reason;
    }
  }

  private final List<Event> events = new ArrayList<>();
  private final AtomicBoolean inCall = new AtomicBoolean();
  private volatile boolean overlapped;

  @Override
  public void onState(SourceState state) {
    record(new Event(state, null, null));
  }

  @Override
  public void onFailure(String reason, Throwable cause) {
    record(new Event(null, reason, cause));
  }

  private void record(Event event) {
    if (!inCall.compareAndSet(false, true)) {
      overlapped = true;
    }
    synchronized (events) {
      events.add(event);
    }
    inCall.set(false);
  }

  List<Event> events() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }

  List<SourceState> states() {
    return events().stream().filter(Event::isState).map(Event::state).toList();
  }

  List<Event> failures() {
    return events().stream().filter(e -> !e.isState()).toList();
  }

  /** The last state delivered, or null. */
  SourceState lastState() {
    List<SourceState> states = states();
    return states.isEmpty() ? null : states.get(states.size() - 1);
  }

  /** The events delivered since the first {@code n}. */
  List<Event> eventsAfter(int n) {
    List<Event> all = events();
    return new ArrayList<>(all.subList(Math.min(n, all.size()), all.size()));
  }

  boolean callsOverlapped() {
    return overlapped;
  }
}
