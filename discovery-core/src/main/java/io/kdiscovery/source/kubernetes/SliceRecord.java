package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointHints;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.ForZone;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the watch keeps of one EndpointSlice between events: the fields translation reads, and
 * nothing else.
 *
 * <p>Why not the fabric8 object: a parsed slice costs ≈530 bytes per endpoint (every nested object
 * carries its own {@code additionalProperties} map, the targetRef its kind, namespace and uid, every
 * zone and node name its own copy), and a namespace-scoped watch keeps every slice of the namespace,
 * viewed or not, so that a port opened later, or a Service whose ports change, is translated again
 * without a LIST. This form keeps the raw, unvalidated values ({@link EndpointTranslator} still
 * validates and warns as before, per port), with zone and node names shared through the group's
 * {@link Interner} and the conditions folded into one of eight shared constants.
 *
 * <p>Immutable; built on the group's serial context (the interner is not thread-safe).
 */
final class SliceRecord {

  /** One port of the slice as listed; {@code port} is null when unset. */
  record Port(String name, Integer port, String protocol) {}

  /**
   * One endpoint of the slice as listed, port-independent: {@code address} is its first address,
   * unvalidated (null when it has none), {@code podName} and {@code podUid} the targetRef's name and
   * uid when it is a Pod.
   */
  record Entry(String address, io.kdiscovery.model.EndpointConditions conditions, String zone, String nodeName,
      String hostname, String podName, String podUid, Set<String> zoneHints) {}

  /** The EndpointSlice controller's annotation: when the Pod or Service change behind the slice happened. */
  static final String TRIGGER_TIME_ANNOTATION = "endpoints.kubernetes.io/last-change-trigger-time";
  /** {@link #triggerMicros} of a slice without the annotation. */
  static final long NO_TRIGGER = Long.MIN_VALUE;
  /** {@link #triggerMicros} of a slice whose annotation is not an RFC 3339 time. */
  static final long BAD_TRIGGER = Long.MIN_VALUE + 1;
  /** Longer than any RFC 3339 time; a longer value is not parsed at all. */
  private static final int MAX_TRIGGER_LENGTH = 64;

  /** {@code namespace/name}: the feed's key and what warnings name. */
  final String key;
  final String resourceVersion;
  /** The Service named by the {@code kubernetes.io/service-name} label, as {@code namespace/name}; or null. */
  final String serviceId;
  final String addressType;
  /** As listed, null elements included (translation warns about them); null when the slice has none. */
  final List<Port> ports;
  /** As listed, null elements included; never null. */
  final List<Entry> endpoints;
  /**
   * The trigger-time annotation in epoch microseconds (RFC 3339 times may carry nanoseconds; loopback
   * latencies are below a millisecond), {@link #NO_TRIGGER} or {@link #BAD_TRIGGER}: one
   * long per slice, nothing per endpoint.
   */
  final long triggerMicros;

  private SliceRecord(String key, String resourceVersion, String serviceId, String addressType, List<Port> ports,
      List<Entry> endpoints, long triggerMicros) {
    this.key = key;
    this.resourceVersion = resourceVersion;
    this.serviceId = serviceId;
    this.addressType = addressType;
    this.ports = ports;
    this.endpoints = endpoints;
    this.triggerMicros = triggerMicros;
  }

  /** The compact form of {@code slice}, which must have metadata with a name. */
  static SliceRecord of(EndpointSlice slice, Interner interner) {
    String key = ResourceFeed.keyOf(slice);
    Map<String, String> labels = slice.getMetadata().getLabels();
    String name = labels == null ? null : labels.get(WatchGroup.SERVICE_NAME_LABEL);
    String serviceId = name == null ? null : slice.getMetadata().getNamespace() + "/" + name;
    List<Port> ports = null;
    if (slice.getPorts() != null) {
      Port[] array = new Port[slice.getPorts().size()];
      for (int i = 0; i < array.length; i++) {
        EndpointPort p = slice.getPorts().get(i);
        array[i] = p == null ? null
            : new Port(interner.intern(p.getName()), p.getPort(), interner.intern(p.getProtocol()));
      }
      ports = Collections.unmodifiableList(Arrays.asList(array));
    }
    List<Entry> endpoints = List.of();
    if (slice.getEndpoints() != null && !slice.getEndpoints().isEmpty()) {
      Entry[] array = new Entry[slice.getEndpoints().size()];
      for (int i = 0; i < array.length; i++) {
        io.fabric8.kubernetes.api.model.discovery.v1.Endpoint e = slice.getEndpoints().get(i);
        array[i] = e == null ? null : entry(e, interner);
      }
      endpoints = Collections.unmodifiableList(Arrays.asList(array));
    }
    return new SliceRecord(key, slice.getMetadata().getResourceVersion(), serviceId,
        interner.intern(slice.getAddressType()), ports, endpoints, triggerMicros(slice.getMetadata().getAnnotations()));
  }

  /** The trigger time of a slice's annotations, as {@link #triggerMicros} keeps it. */
  static long triggerMicros(Map<String, String> annotations) {
    String value = annotations == null ? null : annotations.get(TRIGGER_TIME_ANNOTATION);
    if (value == null || value.isEmpty()) {
      return NO_TRIGGER;
    }
    if (value.length() > MAX_TRIGGER_LENGTH) {
      return BAD_TRIGGER;
    }
    try {
      java.time.Instant time = OffsetDateTime.parse(value).toInstant();
      long micros = Math.addExact(Math.multiplyExact(time.getEpochSecond(), 1_000_000L), time.getNano() / 1_000);
      return micros <= BAD_TRIGGER ? BAD_TRIGGER : micros;
    } catch (DateTimeParseException | ArithmeticException e) {
      return BAD_TRIGGER;
    }
  }

  private static Entry entry(io.fabric8.kubernetes.api.model.discovery.v1.Endpoint e, Interner interner) {
    String address = e.getAddresses() == null || e.getAddresses().isEmpty() ? null : e.getAddresses().get(0);
    EndpointConditions c = e.getConditions();
    return new Entry(address,
        c == null ? io.kdiscovery.model.EndpointConditions.READY
            : io.kdiscovery.model.EndpointConditions.of(c.getReady(), c.getServing(), c.getTerminating()),
        interner.intern(e.getZone()), interner.intern(e.getNodeName()), e.getHostname(), podName(e.getTargetRef()),
        podUid(e.getTargetRef()), zoneHints(e.getHints(), interner));
  }

  private static Set<String> zoneHints(EndpointHints hints, Interner interner) {
    if (hints == null || hints.getForZones() == null || hints.getForZones().isEmpty()) {
      return Set.of();
    }
    Set<String> zones = new LinkedHashSet<>();
    for (ForZone zone : hints.getForZones()) {
      if (zone != null && zone.getName() != null && !zone.getName().isEmpty()) {
        zones.add(interner.intern(zone.getName()));
      }
    }
    return zones.isEmpty() ? Set.of() : interner.internZones(zones);
  }

  static String podName(ObjectReference ref) {
    return ref == null || (ref.getKind() != null && !"Pod".equals(ref.getKind())) ? null : ref.getName();
  }

  static String podUid(ObjectReference ref) {
    return podName(ref) == null ? null : ref.getUid();
  }

  /**
   * Shares equal zone names, node names and zone-hint sets between the slices of a group: there are
   * a handful of zones and at most a few thousand nodes, but a copy of each name per endpoint.
   * Bounded: once full, values pass through unshared (correct, only bigger). Not thread-safe.
   */
  static final class Interner {
    private static final int MAX_ENTRIES = 4096;
    private final Map<String, String> strings = new java.util.HashMap<>();
    private final Map<Set<String>, Set<String>> zoneSets = new java.util.HashMap<>();

    String intern(String value) {
      if (value == null) {
        return null;
      }
      String shared = strings.get(value);
      if (shared != null) {
        return shared;
      }
      if (strings.size() < MAX_ENTRIES) {
        strings.put(value, value);
      }
      return value;
    }

    Set<String> internZones(Set<String> zones) {
      Set<String> shared = zoneSets.get(zones);
      if (shared != null) {
        return shared;
      }
      Set<String> copy = Set.copyOf(new ArrayList<>(zones)); // immutable, as Endpoint keeps it
      if (zoneSets.size() < MAX_ENTRIES) {
        zoneSets.put(copy, copy);
      }
      return copy;
    }
  }
}
