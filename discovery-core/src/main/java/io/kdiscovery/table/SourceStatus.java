package io.kdiscovery.table;

import io.kdiscovery.source.FailureKind;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Whether a Service port's table is in step with its source, and since when.
 *
 * <p>Immutable. While {@link State#DISCONNECTED}, the table keeps serving its last good snapshot;
 * {@link #staleness(Instant)} says for how long that snapshot has gone unconfirmed.
 *
 * @param state where the source stands
 * @param since when it entered that state, on the table's clock
 * @param lastSyncedAt the last time the source confirmed the table, or null if it never has
 * @param detail the last failure's reason, or null while in step
 * @param failure the kind of the last failure, typed from the HTTP status or the network error
 *     ({@link FailureKind#NONE} while in step): decide on it, never on the words of {@code detail}
 */
public record SourceStatus(State state, Instant since, Instant lastSyncedAt, String detail, FailureKind failure) {

  public SourceStatus {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(failure, "failure");
  }

  /** A status whose failure kind is unknown ({@link FailureKind#OTHER} when it has a detail). */
  public SourceStatus(State state, Instant since, Instant lastSyncedAt, String detail) {
    this(state, since, lastSyncedAt, detail, detail == null ? FailureKind.NONE : FailureKind.OTHER);
  }

  /**
   * How long the table has been out of step at {@code now}: zero while {@link State#SYNCED}, else the
   * time since the source was last in step (or since the watch started, if it never was).
   */
  public Duration staleness(Instant now) {
    if (state == State.SYNCED) {
      return Duration.ZERO;
    }
    Instant reference = lastSyncedAt != null ? lastSyncedAt : since;
    Duration age = Duration.between(reference, now);
    return age.isNegative() ? Duration.ZERO : age;
  }

  public enum State {
    /** Watching, no complete state received yet. */
    STARTING,
    /** The table holds what the source last confirmed. */
    SYNCED,
    /** The source lost contact; the table keeps its last good snapshot and the source retries. */
    DISCONNECTED
  }
}
