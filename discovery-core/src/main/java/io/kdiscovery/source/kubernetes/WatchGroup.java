package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.EndpointsList;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceList;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.internal.BaseOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.source.FailureKind;
import io.kdiscovery.time.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watches that serve a set of Services: one of Services and one of EndpointSlices (or of
 * v1/Endpoints where slices may not be read), indexed by Service, and the {@link PortView}s and
 * catalogs they feed. Its scope is one Service ({@code WatchScope.SERVICE}: a field- and
 * label-selected watch), one namespace, or the whole cluster; the code is the same, only the
 * selectors differ.
 *
 * <p>Concurrency design: all state lives on one {@link SerialExecutor} over the source's shared
 * serial pool; the feeds' blocking calls run on the source's bounded I/O pool and hand results back.
 * {@link #add}/{@link #remove} may be called from any thread and hand over too. A task that throws
 * is reported as a failure of the group (the listeners' status says so), never swallowed.
 */
final class WatchGroup {

  private static final Logger log = LoggerFactory.getLogger(WatchGroup.class);
  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
  /** While reading v1/Endpoints because slices were forbidden, how often to try slices again. */
  static final Duration SLICE_RECHECK = Duration.ofMinutes(5);
  /** The shortest {@code timeoutSeconds} sent on a watch; the longest is twice this (client-go's). */
  static final Duration MIN_WATCH_TIMEOUT = Duration.ofMinutes(5);

  final GroupKey groupKey;
  private final KubernetesClient client;
  private final KubernetesEndpointSource.Runtime runtime;
  private final SerialExecutor serial;
  private final OnceLog onceLog = new OnceLog(log);

  private final ResourceFeed<Service, Service> services;
  // Slices are kept compact (SliceRecord), not as fabric8 objects: a namespace scope keeps them all.
  private ResourceFeed<EndpointSlice, SliceRecord> slices; // null while on v1/Endpoints or before a view needs it
  private ResourceFeed<EndpointSlice, SliceRecord> sliceProbe; // slices tried again while on v1/Endpoints
  private ResourceFeed<Endpoints, Endpoints> legacy;
  private final SliceRecord.Interner interner = new SliceRecord.Interner(); // zone and node names, serial context
  private Scheduler.Task recheck;
  private boolean serviceReadable = true;
  private boolean closed;
  private String failure;
  private Throwable failureCause;

  private final Map<String, ServiceInfo> infos = new HashMap<>(); // by namespace/name
  private final Map<String, Map<String, SliceRecord>> slicesByService = new HashMap<>();
  private final Map<String, String> sliceOwners = new HashMap<>(); // slice key -> service id
  private final Map<String, List<PortView>> views = new HashMap<>(); // service id -> views
  private final List<KubernetesCatalog> catalogs = new ArrayList<>();

  /** Which objects a group selects: a namespace (null: all) and a Service name (null: all). */
  record GroupKey(String namespace, String serviceName) {
    @Override
    public String toString() {
      return serviceName != null ? "Service " + namespace + "/" + serviceName
          : namespace != null ? "namespace " + namespace : "all namespaces";
    }
  }

  WatchGroup(GroupKey groupKey, KubernetesClient client, KubernetesEndpointSource.Runtime runtime) {
    this.groupKey = groupKey;
    this.client = client;
    this.runtime = runtime;
    this.serial = new SerialExecutor(runtime.serialPool(), this::taskFailed);
    this.services = ResourceFeed.keepingObjects("Services of " + groupKey, Service.class, "Service", servicesApi(),
        new ServiceOwner(), serial, runtime);
  }

  void start() {
    services.start();
  }

  // ---- what the group serves

  void add(PortView view) {
    serial.execute(() -> {
      if (closed) {
        return;
      }
      views.computeIfAbsent(view.serviceId, id -> new ArrayList<>()).add(view);
      ensureEndpointFeed();
      sync(view);
      publish(view);
    });
  }

  void remove(PortView view) {
    serial.execute(() -> {
      List<PortView> list = views.get(view.serviceId);
      if (list != null && list.remove(view) && list.isEmpty()) {
        views.remove(view.serviceId);
      }
    });
  }

  void add(KubernetesCatalog catalog) {
    serial.execute(() -> {
      if (closed) {
        return;
      }
      catalogs.add(catalog);
      if (!serviceReadable) {
        catalog.failed("may not read the Services of " + groupKey + " (403). "
            + rbacHint("services", "", groupKey.namespace()), FailureKind.FORBIDDEN);
      } else if (services.listed()) {
        catalog.update(List.copyOf(infos.values()), services.inStep(), failure, Failures.kind(failureCause));
      }
    });
  }

  void remove(KubernetesCatalog catalog) {
    serial.execute(() -> catalogs.remove(catalog));
  }

  /** Stops every feed; the source closes the watches themselves too, so none is left open. */
  void close() {
    serial.execute(() -> {
      closed = true;
      services.close();
      closeIfOpen(slices);
      closeIfOpen(sliceProbe);
      closeIfOpen(legacy);
      if (recheck != null) {
        recheck.cancel();
      }
      // Let go of every object read: a closed watch may stay referenced by a closed handle.
      infos.clear();
      slicesByService.clear();
      sliceOwners.clear();
      views.clear();
      catalogs.clear();
    });
  }

  private static void closeIfOpen(ResourceFeed<?, ?> feed) {
    if (feed != null) {
      feed.close();
    }
  }

  // ---- state

  private void ensureEndpointFeed() {
    if (slices == null && legacy == null) {
      slices = slicesFeed();
      slices.start();
    }
  }

  private boolean ready() {
    ResourceFeed<?, ?> endpoints = legacy != null ? legacy : slices;
    return endpoints != null && endpoints.listed() && (!serviceReadable || services.listed());
  }

  private boolean inStep() {
    ResourceFeed<?, ?> endpoints = legacy != null ? legacy : slices;
    return endpoints != null && endpoints.inStep() && (!serviceReadable || services.inStep());
  }

  /** The Service's settings for its views: null when it does not exist. */
  private ServiceInfo infoOf(String serviceId) {
    return serviceReadable ? infos.get(serviceId) : ServiceInfo.UNKNOWN;
  }

  private void sync(PortView view) {
    if (!ready()) {
      return;
    }
    ServiceInfo info = infoOf(view.serviceId);
    ServiceInfo forMapping = info == null ? ServiceInfo.UNKNOWN : info;
    if (legacy != null) {
      view.syncLegacy(forMapping, legacy.items().get(view.serviceId));
    } else {
      view.syncSlices(forMapping, slicesByService.getOrDefault(view.serviceId, Map.of()));
    }
  }

  private void publish(PortView view) {
    if (ready()) {
      view.publish(infoOf(view.serviceId), inStep(), failure, failureCause);
    }
  }

  private void publish(String serviceId) {
    List<PortView> list = views.get(serviceId);
    if (list != null) {
      for (PortView view : list) {
        publish(view);
      }
    }
  }

  private void publishAll() {
    if (inStep()) {
      failure = null;
      failureCause = null;
    }
    for (List<PortView> list : views.values()) {
      for (PortView view : list) {
        publish(view);
      }
    }
  }

  private void syncAll() {
    for (List<PortView> list : views.values()) {
      for (PortView view : list) {
        sync(view);
      }
    }
  }

  private void catalogsChanged() {
    if (catalogs.isEmpty() || !services.listed()) {
      return;
    }
    List<ServiceInfo> all = List.copyOf(infos.values());
    for (KubernetesCatalog catalog : catalogs) {
      catalog.update(all, services.inStep(), failure, Failures.kind(failureCause));
    }
  }

  private void failed(String reason, Throwable cause) {
    failure = reason;
    failureCause = cause;
    for (List<PortView> list : views.values()) {
      for (PortView view : list) {
        view.failed(reason, cause);
      }
    }
    for (KubernetesCatalog catalog : catalogs) {
      catalog.failed(reason, Failures.kind(cause));
    }
  }

  /** A bug in the group's own code: reported like an outage, so it shows in every status. */
  private void taskFailed(RuntimeException e) {
    log.error("kubernetes: an update of {} failed; its tables keep their last state", groupKey, e);
    failed("internal error while updating " + groupKey + ": " + e, e);
  }

  // ---- Services

  /** Returns whether the Service's settings changed. */
  private boolean serviceChanged(String serviceId, Service service) {
    ServiceInfo before = infos.get(serviceId);
    ServiceInfo after;
    if (service == null) {
      after = null;
    } else {
      try {
        after = ServiceTranslator.translate(service, onceLog);
      } catch (RuntimeException e) {
        onceLog.warn("Service " + serviceId + " could not be read (" + e + "); using Kubernetes defaults");
        after = ServiceInfo.UNKNOWN;
      }
    }
    if (Objects.equals(before, after)) {
      return false;
    }
    if (after == null) {
      infos.remove(serviceId);
    } else {
      infos.put(serviceId, after);
    }
    List<PortView> list = views.get(serviceId);
    if (list != null) {
      for (PortView view : list) {
        if (view.mappingChanges(after == null ? ServiceInfo.UNKNOWN : after)) {
          sync(view);
        }
      }
    }
    return true;
  }

  private final class ServiceOwner implements ResourceFeed.Owner<Service> {
    @Override
    public void replaced(Map<String, Service> previous, Map<String, Service> current) {
      Set<String> ids = new HashSet<>(previous.keySet());
      ids.addAll(current.keySet());
      for (String id : ids) {
        Service before = previous.get(id);
        Service after = current.get(id);
        if (before == null || after == null || !sameVersion(before, after)) {
          serviceChanged(id, after);
        }
      }
      syncAll(); // the first list of Services decides every port's mapping
      publishAll();
      catalogsChanged();
    }

    @Override
    public void upserted(Service previous, Service item) {
      String id = ResourceFeed.keyOf(item);
      if (serviceChanged(id, item)) {
        publish(id);
        catalogsChanged();
      }
    }

    @Override
    public void deleted(Service item) {
      String id = ResourceFeed.keyOf(item);
      if (serviceChanged(id, null)) {
        publish(id);
        catalogsChanged();
      }
    }

    @Override
    public void inStep() {
      publishAll();
      catalogsChanged();
    }

    @Override
    public boolean failed(ResourceFeed<?, Service> feed, String reason, Throwable cause) {
      if (httpCode(cause) == 403 && !feed.listed() && catalogs.isEmpty()) {
        serviceReadable = false;
        log.warn("kubernetes: may not read {} (403); port names still work, a port number is taken as the"
            + " pods' port, and the Service's settings (session affinity, traffic distribution) are unknown."
            + " {}", groupKey, rbacHint("services", "", groupKey.namespace()));
        syncAll();
        publishAll();
        return false;
      }
      if (httpCode(cause) == 403) {
        reason = reason + ". " + rbacHint("services", "", groupKey.namespace());
        if (views.isEmpty()) {
          runtime.warnOnce("kubernetes: " + reason); // no table logs it: a catalog's user still learns why
        }
      }
      WatchGroup.this.failed(reason, cause);
      return true;
    }
  }

  // ---- EndpointSlices

  /** Files a slice under its Service; returns the ids of the Services whose slices changed. */
  private Set<String> sliceUpserted(SliceRecord slice) {
    String key = slice.key;
    String owner = slice.serviceId;
    String previousOwner = owner == null ? sliceOwners.remove(key) : sliceOwners.put(key, owner);
    Set<String> touched = new HashSet<>(2);
    if (previousOwner != null && !previousOwner.equals(owner)) {
      sliceRemoved(key, previousOwner);
      touched.add(previousOwner);
    }
    if (owner != null) {
      slicesByService.computeIfAbsent(owner, id -> new HashMap<>()).put(key, slice);
      List<PortView> list = views.get(owner);
      if (list != null) {
        for (PortView view : list) {
          view.sliceChanged(key, slice);
        }
      }
      touched.add(owner);
    }
    return touched;
  }

  private String sliceDeleted(SliceRecord slice) {
    String key = slice.key;
    String owner = sliceOwners.remove(key);
    if (owner != null) {
      sliceRemoved(key, owner);
    }
    return owner;
  }

  private void sliceRemoved(String key, String owner) {
    Map<String, SliceRecord> ofService = slicesByService.get(owner);
    if (ofService != null) {
      ofService.remove(key);
      if (ofService.isEmpty()) {
        slicesByService.remove(owner);
      }
    }
    List<PortView> list = views.get(owner);
    if (list != null) {
      for (PortView view : list) {
        view.sliceRemoved(key);
      }
    }
  }

  private void resetSlices(Collection<SliceRecord> all) {
    slicesByService.clear();
    sliceOwners.clear();
    for (SliceRecord slice : all) {
      sliceUpserted(slice);
    }
  }

  private final class SliceOwner implements ResourceFeed.Owner<SliceRecord> {
    @Override
    public void replaced(Map<String, SliceRecord> previous, Map<String, SliceRecord> current) {
      for (Map.Entry<String, SliceRecord> gone : previous.entrySet()) {
        if (!current.containsKey(gone.getKey())) {
          sliceDeleted(gone.getValue());
        }
      }
      for (Map.Entry<String, SliceRecord> now : current.entrySet()) {
        SliceRecord before = previous.get(now.getKey());
        if (before == null || !sameVersion(before, now.getValue())) {
          sliceUpserted(now.getValue());
        }
      }
      syncAll();
      publishAll();
    }

    @Override
    public void upserted(SliceRecord previous, SliceRecord item) {
      for (String id : sliceUpserted(item)) {
        publish(id);
      }
    }

    @Override
    public void deleted(SliceRecord item) {
      String owner = sliceDeleted(item);
      if (owner != null) {
        publish(owner);
      }
    }

    @Override
    public void inStep() {
      publishAll();
    }

    @Override
    public boolean failed(ResourceFeed<?, SliceRecord> feed, String reason, Throwable cause) {
      int code = httpCode(cause);
      if ((code == 403 || code == 404) && !feed.listed()) {
        if (code == 403) {
          runtime.warnOnce("kubernetes: may not list EndpointSlices of " + groupKey + " (403); reading"
              + " v1/Endpoints instead, and trying slices again every " + SLICE_RECHECK.toMinutes()
              + " minutes. " + rbacHint("endpointslices", "discovery.k8s.io", groupKey.namespace()));
        } else {
          log.info("kubernetes: the EndpointSlice API is not available (404); reading v1/Endpoints of {}",
              groupKey);
        }
        slices = null;
        legacy = legacyFeed();
        legacy.start();
        scheduleRecheck();
        return false;
      }
      WatchGroup.this.failed(code == 403 ? reason + ". " + rbacHint("endpointslices", "discovery.k8s.io",
          groupKey.namespace()) : reason, cause);
      return true;
    }
  }

  /** Slices tried again while on v1/Endpoints: on its first list, the group switches back. */
  private final class SliceProbeOwner implements ResourceFeed.Owner<SliceRecord> {
    private final SliceOwner normal = new SliceOwner();

    @Override
    public void replaced(Map<String, SliceRecord> previous, Map<String, SliceRecord> current) {
      if (slices != sliceProbe) {
        log.info("kubernetes: EndpointSlices of {} are readable again; switching back from v1/Endpoints",
            groupKey);
        closeIfOpen(legacy);
        legacy = null;
        slices = sliceProbe;
        resetSlices(current.values());
      }
      normal.replaced(previous, current);
    }

    @Override
    public void upserted(SliceRecord previous, SliceRecord item) {
      normal.upserted(previous, item);
    }

    @Override
    public void deleted(SliceRecord item) {
      normal.deleted(item);
    }

    @Override
    public void inStep() {
      normal.inStep();
    }

    @Override
    public boolean failed(ResourceFeed<?, SliceRecord> feed, String reason, Throwable cause) {
      if (slices != sliceProbe) {
        log.debug("kubernetes: EndpointSlices of {} still not readable ({})", groupKey, reason);
        sliceProbe = null;
        scheduleRecheck();
        return false;
      }
      return normal.failed(feed, reason, cause);
    }
  }

  private void scheduleRecheck() {
    recheck = runtime.scheduler().schedule(SLICE_RECHECK, serial, () -> {
      if (closed || legacy == null || sliceProbe != null) {
        return;
      }
      sliceProbe = new ResourceFeed<>("EndpointSlices of " + groupKey, EndpointSlice.class, "EndpointSlice",
          slicesApi(), this::compact, new SliceProbeOwner(), serial, runtime);
      sliceProbe.start();
    });
  }

  // ---- v1/Endpoints

  private final class LegacyOwner implements ResourceFeed.Owner<Endpoints> {
    @Override
    public void replaced(Map<String, Endpoints> previous, Map<String, Endpoints> current) {
      syncAll();
      publishAll();
    }

    @Override
    public void upserted(Endpoints previous, Endpoints item) {
      legacyChanged(ResourceFeed.keyOf(item), item);
    }

    @Override
    public void deleted(Endpoints item) {
      legacyChanged(ResourceFeed.keyOf(item), null);
    }

    private void legacyChanged(String serviceId, Endpoints item) {
      List<PortView> list = views.get(serviceId);
      if (list != null) {
        for (PortView view : list) {
          view.legacyChanged(item);
        }
        publish(serviceId);
      }
    }

    @Override
    public void inStep() {
      publishAll();
    }

    @Override
    public boolean failed(ResourceFeed<?, Endpoints> feed, String reason, Throwable cause) {
      if (httpCode(cause) == 403) {
        reason = reason + ". " + rbacHint("endpoints", "", groupKey.namespace());
      }
      WatchGroup.this.failed(reason, cause);
      return true;
    }
  }

  // ---- the API calls

  private ResourceFeed<EndpointSlice, SliceRecord> slicesFeed() {
    return new ResourceFeed<>("EndpointSlices of " + groupKey, EndpointSlice.class, "EndpointSlice", slicesApi(),
        this::compact, new SliceOwner(), serial, runtime);
  }

  /** The compact form kept of a slice; on the serial context (the interner is not thread-safe). */
  private SliceRecord compact(EndpointSlice slice) {
    return SliceRecord.of(slice, interner);
  }

  private ResourceFeed<Endpoints, Endpoints> legacyFeed() {
    return ResourceFeed.keepingObjects("Endpoints of " + groupKey, Endpoints.class, "Endpoints", legacyApi(),
        new LegacyOwner(), serial, runtime);
  }

  private ResourceFeed.Api<Service> servicesApi() {
    return new ResourceFeed.Api<>() {
      private FilterWatchListDeletable<Service, ServiceList, ? extends Resource<Service>> select() {
        var all = client.services();
        var scoped = groupKey.namespace() == null ? all.inAnyNamespace() : all.inNamespace(groupKey.namespace());
        return groupKey.serviceName() == null ? scoped : scoped.withField("metadata.name", groupKey.serviceName());
      }

      @Override
      public ServiceList list() {
        return select().list();
      }

      @Override
      public CompletableFuture<Watch> watch(String resourceVersion, Watcher<Service> watcher) {
        return submitWatch(select(), watchOptions(resourceVersion), watcher);
      }
    };
  }

  private ResourceFeed.Api<EndpointSlice> slicesApi() {
    return new ResourceFeed.Api<>() {
      private FilterWatchListDeletable<EndpointSlice, EndpointSliceList, ? extends Resource<EndpointSlice>> select() {
        var all = client.discovery().v1().endpointSlices();
        var scoped = groupKey.namespace() == null ? all.inAnyNamespace() : all.inNamespace(groupKey.namespace());
        return groupKey.serviceName() == null ? scoped : scoped.withLabel(SERVICE_NAME_LABEL, groupKey.serviceName());
      }

      @Override
      public EndpointSliceList list() {
        return select().list();
      }

      @Override
      public CompletableFuture<Watch> watch(String resourceVersion, Watcher<EndpointSlice> watcher) {
        return submitWatch(select(), watchOptions(resourceVersion), watcher);
      }
    };
  }

  private ResourceFeed.Api<Endpoints> legacyApi() {
    return new ResourceFeed.Api<>() {
      private FilterWatchListDeletable<Endpoints, EndpointsList, ? extends Resource<Endpoints>> select() {
        var all = client.endpoints();
        var scoped = groupKey.namespace() == null ? all.inAnyNamespace() : all.inNamespace(groupKey.namespace());
        return groupKey.serviceName() == null ? scoped : scoped.withField("metadata.name", groupKey.serviceName());
      }

      @Override
      public EndpointsList list() {
        return select().list();
      }

      @Override
      public CompletableFuture<Watch> watch(String resourceVersion, Watcher<Endpoints> watcher) {
        return submitWatch(select(), watchOptions(resourceVersion), watcher);
      }
    };
  }

  /**
   * Every watch asks for bookmarks and carries a {@code timeoutSeconds} random in [5, 10) minutes, as
   * client-go's reflector sends it: the server ends the watch then (with a bookmark 2 s before), a
   * backstop for a connection that nothing else notices, spread so that a fleet does not resume
   * together.
   */
  private io.fabric8.kubernetes.api.model.ListOptions watchOptions(String resourceVersion) {
    long timeoutSeconds = MIN_WATCH_TIMEOUT.toSeconds()
        + (long) (runtime.random().getAsDouble() * MIN_WATCH_TIMEOUT.toSeconds());
    return new ListOptionsBuilder().withResourceVersion(resourceVersion).withAllowWatchBookmarks(true)
        .withTimeoutSeconds(Math.min(timeoutSeconds, 2 * MIN_WATCH_TIMEOUT.toSeconds() - 1)).build();
  }

  /**
   * Asks for a watch without blocking: fabric8's {@code watch()} waits for the server's answer
   * without a bound, so on a connection that a load balancer blackholes it would hold an I/O thread
   * forever. {@code submitWatch} (public on fabric8's operations, whatever the transport) hands back
   * the answer as a future instead; any other implementation is called as it is.
   */
  @SuppressWarnings("unchecked")
  private static <T extends io.fabric8.kubernetes.api.model.HasMetadata> CompletableFuture<Watch> submitWatch(
      Object operation, io.fabric8.kubernetes.api.model.ListOptions options, Watcher<T> watcher) {
    if (operation instanceof BaseOperation<?, ?, ?> base) {
      return ((BaseOperation<T, ?, ?>) base).submitWatch(options, watcher).thenApply(Watch.class::cast);
    }
    return CompletableFuture.completedFuture(
        ((io.fabric8.kubernetes.client.dsl.Watchable<T>) operation).watch(options, watcher));
  }

  private static boolean sameVersion(SliceRecord a, SliceRecord b) {
    return a == b || (a.resourceVersion != null && a.resourceVersion.equals(b.resourceVersion));
  }

  private static boolean sameVersion(io.fabric8.kubernetes.api.model.HasMetadata a,
      io.fabric8.kubernetes.api.model.HasMetadata b) {
    String va = a.getMetadata().getResourceVersion();
    return a == b || (va != null && va.equals(b.getMetadata().getResourceVersion()));
  }

  static int httpCode(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof KubernetesClientException k && k.getCode() > 0) {
        return k.getCode();
      }
    }
    return 0;
  }

  /** One line naming the permission to grant. */
  static String rbacHint(String resource, String apiGroup, String namespace) {
    String where = namespace == null ? "cluster-wide (a ClusterRole)" : "in namespace " + namespace + " (a Role)";
    return "Grant the application's service account the verbs get, list, watch on resource " + resource
        + (apiGroup.isEmpty() ? "" : "." + apiGroup) + " " + where + ": rules: [{apiGroups: [\"" + apiGroup
        + "\"], resources: [\"" + resource + "\"], verbs: [\"get\", \"list\", \"watch\"]}]";
  }
}
