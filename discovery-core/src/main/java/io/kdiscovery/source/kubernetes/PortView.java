package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.api.model.Endpoints;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.SourceState;
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
 * <p>Every method but {@link #close()} runs on the group's serial context.
 */
final class PortView implements EndpointSource.Watch {

  final ServiceKey key;
  final String serviceId;
  private final EndpointSource.Listener listener;
  private final WatchGroup group;
  private final OnceLog onceLog;
  private final MergedEndpoints merged = new MergedEndpoints();
  private final Map<String, String> translatedVersions = new HashMap<>();
  private PortMatch match;
  private boolean legacy;

  private boolean sent;
  private boolean sentFound;
  private ServiceInfo sentInfo;
  private List<Endpoint> sentEndpoints;
  private boolean sentInStep;

  PortView(ServiceKey key, EndpointSource.Listener listener, WatchGroup group, OnceLog onceLog) {
    this.key = key;
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
    merged.put(sliceKey, translate(slice));
  }

  void sliceRemoved(String sliceKey) {
    translatedVersions.remove(sliceKey);
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
      translated = EndpointTranslator.fromEndpoints(endpoints, match, onceLog);
    } catch (RuntimeException e) {
      onceLog.warn("Endpoints " + serviceId + " could not be read (" + e + "); its addresses are left out");
      translated = List.of();
    }
    merged.put("Endpoints", translated);
  }

  private List<Endpoint> translate(SliceRecord slice) {
    try {
      return EndpointTranslator.fromSlice(slice, match, onceLog);
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
    if (sent && sentFound == found && Objects.equals(sentInfo, info) && sentEndpoints == endpoints
        && sentInStep == inStep) {
      return;
    }
    sent = true;
    sentFound = found;
    sentInfo = info;
    sentEndpoints = endpoints;
    sentInStep = inStep;
    SourceState state = found ? new SourceState(true, info, endpoints, true)
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
