package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.api.model.Endpoints;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.RoutableAddresses;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.SourceState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One watched Service port, fed by its {@link WatchGroup}: the port's merged endpoints, kept up to
 * date slice by slice, and what was last handed to the listener.
 *
 * <p>Work is proportional to the change: a slice whose resourceVersion was translated already costs
 * a map lookup; a changed slice is translated alone and merged into {@link MergedEndpoints}; the
 * whole Service is translated again only when the port's mapping changes (its Service's ports, or a
 * switch between EndpointSlices and v1/Endpoints). The listener is called only when what it would be
 * told differs from what it was told last.
 *
 * <p>Change trigger times (the EndpointSlice controller's {@code last-change-trigger-time}) are kept
 * the way kube-proxy keeps them for its network-programming latency: only for a slice whose change
 * changed this port's endpoints, only when later than the start of this watch (the first list
 * publishes changes made long before), never for a deletion; the earliest of those pending goes
 * out with the next state, and one trigger per slice is counted once (a mapping change that
 * translates every slice again is not a new change).
 *
 * <p>Every method but {@link #close()} runs on the group's serial context.
 */
final class PortView implements EndpointSource.Watch {

  final ServiceKey key;
  final String serviceId;
  private final EndpointSource.Listener listener;
  private final WatchGroup group;
  private final OnceLog onceLog;
  private final RoutableAddresses routable;
  private final MergedEndpoints merged = new MergedEndpoints();
  private final Map<String, String> translatedVersions = new HashMap<>();
  private PortMatch match;
  private boolean legacy;
  private final long startMicros;
  private final Map<String, Long> countedTriggers = new HashMap<>(); // slice key -> trigger counted last
  private long pendingTrigger = SliceRecord.NO_TRIGGER; // the earliest trigger not yet published

  private boolean sent;
  private boolean sentFound;
  private ServiceInfo sentInfo;
  private List<Endpoint> sentEndpoints;
  private boolean sentInStep;

  /** A view that counts every trigger time, whenever it was; for tests. */
  PortView(ServiceKey key, EndpointSource.Listener listener, WatchGroup group, OnceLog onceLog,
      RoutableAddresses routable) {
    this(key, listener, group, onceLog, routable, Long.MIN_VALUE);
  }

  /** @param startMicros when the watch started, on the source's clock: earlier triggers are not counted */
  PortView(ServiceKey key, EndpointSource.Listener listener, WatchGroup group, OnceLog onceLog,
      RoutableAddresses routable, long startMicros) {
    this.key = key;
    this.routable = routable;
    this.startMicros = startMicros;
    this.serviceId = key.namespace() + "/" + key.name();
    this.listener = listener;
    this.group = group;
    this.onceLog = onceLog;
  }

  /** Brings the view in line with all of its Service's slices, translating only what changed. */
  void syncSlices(ServiceInfo info, Map<String, SliceRecord> slices) {
    if (resetIfNeeded(info, false)) {
      return;
    }
    for (String source : new ArrayList<>(merged.sources())) {
      if (!slices.containsKey(source)) {
        sliceRemoved(source);
      }
    }
    for (String source : new ArrayList<>(translatedVersions.keySet())) {
      if (!slices.containsKey(source)) {
        translatedVersions.remove(source);
      }
    }
    slices.forEach(this::sliceChanged);
  }

  /** The same from the Service's v1/Endpoints object (null when there is none). */
  void syncLegacy(ServiceInfo info, Endpoints endpoints) {
    resetIfNeeded(info, true);
    legacyChanged(endpoints);
  }

  /**
   * Starts over when the port's mapping or the kind of endpoint object changed: everything must be
   * translated again. Returns false; the caller goes on with a (possibly) empty view.
   */
  private boolean resetIfNeeded(ServiceInfo info, boolean useLegacy) {
    PortMatch next = PortMatch.resolve(key, info, onceLog);
    if (!next.equals(match) || legacy != useLegacy) {
      match = next;
      legacy = useLegacy;
      merged.clear();
      translatedVersions.clear();
    }
    return false;
  }

  /** Whether the port's mapping changes with {@code info}, which means a full {@code sync}. */
  boolean mappingChanges(ServiceInfo info) {
    return !PortMatch.resolve(key, info, onceLog).equals(match);
  }

  void sliceChanged(String sliceKey, SliceRecord slice) {
    if (legacy || match == null) {
      return;
    }
    String version = slice.resourceVersion;
    if (version != null && version.equals(translatedVersions.get(sliceKey))) {
      return; // translated already: an unchanged slice costs nothing
    }
    translatedVersions.put(sliceKey, version);
    if (merged.put(sliceKey, translate(slice))) {
      noteTrigger(sliceKey, slice);
    }
  }

  private void noteTrigger(String sliceKey, SliceRecord slice) {
    long trigger = slice.triggerMicros;
    if (trigger == SliceRecord.BAD_TRIGGER) {
      onceLog.warn("EndpointSlice " + slice.key + " has an " + SliceRecord.TRIGGER_TIME_ANNOTATION
          + " annotation that is not an RFC 3339 time; its changes are not timed");
      return;
    }
    if (trigger == SliceRecord.NO_TRIGGER || trigger < startMicros) {
      return;
    }
    Long counted = countedTriggers.put(sliceKey, trigger);
    if (counted != null && counted == trigger) {
      return; // the same change translated again
    }
    if (pendingTrigger == SliceRecord.NO_TRIGGER || trigger < pendingTrigger) {
      pendingTrigger = trigger;
    }
  }

  void sliceRemoved(String sliceKey) {
    translatedVersions.remove(sliceKey);
    countedTriggers.remove(sliceKey);
    merged.remove(sliceKey);
  }

  void legacyChanged(Endpoints endpoints) {
    if (!legacy || match == null) {
      return;
    }
    if (endpoints == null) {
      merged.remove("Endpoints");
      return;
    }
    List<Endpoint> translated;
    try {
      translated = routable("Endpoints " + serviceId, EndpointTranslator.fromEndpoints(endpoints, match, onceLog));
    } catch (RuntimeException e) {
      onceLog.warn("Endpoints " + serviceId + " could not be read (" + e + "); its addresses are left out");
      translated = List.of();
    }
    merged.put("Endpoints", translated);
  }

  /**
   * {@code endpoints} without those at addresses kdiscovery will not route to ({@link
   * RoutableAddresses}), each skipped with one line; the rest of the object still counts.
   */
  private List<Endpoint> routable(String object, List<Endpoint> endpoints) {
    List<Endpoint> kept = null;
    for (int i = 0; i < endpoints.size(); i++) {
      Endpoint e = endpoints.get(i);
      String refusal = routable.refusal(e.address());
      if (refusal != null) {
        if (kept == null) {
          kept = new ArrayList<>(endpoints.subList(0, i));
        }
        onceLog.warn(object + ": endpoint " + e.address() + (e.podName() == null ? "" : " (pod " + e.podName() + ")")
            + " skipped: " + refusal);
      } else if (kept != null) {
        kept.add(e);
      }
    }
    return kept == null ? endpoints : List.copyOf(kept);
  }

  private List<Endpoint> translate(SliceRecord slice) {
    try {
      return routable("EndpointSlice " + slice.key, EndpointTranslator.fromSlice(slice, match, onceLog));
    } catch (RuntimeException e) {
      // The translator skips what it knows to be malformed; this is what it did not foresee.
      onceLog.warn("EndpointSlice " + slice.key + " could not be read (" + e
          + "); its endpoints are left out, every other slice still counts");
      return List.of();
    }
  }

  /**
   * Tells the listener the port's state, if it differs from what the listener was told last.
   *
   * @param info the Service's settings, null when the Service does not exist
   * @param inStep whether the group is in step; if not, {@code reason} says why
   */
  void publish(ServiceInfo info, boolean inStep, String reason, Throwable cause) {
    boolean found = info != null;
    List<Endpoint> endpoints = !found || info.type() == ServiceInfo.Type.EXTERNAL_NAME ? List.of()
        : merged.endpoints();
    if (found && info.type() == ServiceInfo.Type.EXTERNAL_NAME) {
      onceLog.info("Service " + serviceId + " is an ExternalName alias of " + info.externalName()
          + "; it has no pods to pick");
    }
    long trigger = pendingTrigger;
    pendingTrigger = SliceRecord.NO_TRIGGER; // a change that publishes nothing new is not timed
    if (sent && sentFound == found && Objects.equals(sentInfo, info) && sentEndpoints == endpoints
        && sentInStep == inStep) {
      return;
    }
    Instant triggeredAt = trigger == SliceRecord.NO_TRIGGER || sentEndpoints == endpoints ? null
        : Instant.EPOCH.plus(trigger, java.time.temporal.ChronoUnit.MICROS);
    sent = true;
    sentFound = found;
    sentInfo = info;
    sentEndpoints = endpoints;
    sentInStep = inStep;
    SourceState state = found ? new SourceState(true, info, endpoints, true, triggeredAt)
        : new SourceState(false, ServiceInfo.UNKNOWN, List.of(), true);
    if (inStep) {
      listener.onState(state);
    } else {
      listener.onStateOutOfStep(state, reason, cause, Failures.kind(cause));
    }
  }

  /** The group failed: the listener keeps its last state and learns why. */
  void failed(String reason, Throwable cause) {
    sentInStep = false;
    listener.onFailure(reason, cause, Failures.kind(cause));
  }

  /** How many endpoints the view holds now; for tests and diagnostics. */
  int size() {
    return merged.size();
  }

  @Override
  public void close() {
    group.remove(this);
  }

  @Override
  public String toString() {
    return "PortView[" + key + "]";
  }
}
