package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.SourceState;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one Service port: the Service object (for the port mapping and the settings that shape
 * picks) and its endpoints, from EndpointSlices labelled {@code kubernetes.io/service-name=<name>},
 * or from {@code v1/Endpoints} where the EndpointSlice API is missing or forbidden.
 *
 * <p>All state lives on one {@link SerialExecutor}. A complete state goes to the listener only when
 * every feed has listed and none is failing, so the table never sees a half-read Service.
 */
final class ServiceWatch implements EndpointSource.Watch, ResourceFeed.Owner {

  private static final Logger log = LoggerFactory.getLogger(ServiceWatch.class);
  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  private final ServiceKey key;
  private final KubernetesClient client;
  private final EndpointSource.Listener listener;
  private final SerialExecutor serial;
  private final KubernetesEndpointSource.Runtime runtime;
  private final OnceLog onceLog = new OnceLog(log);
  private final AtomicBoolean closed = new AtomicBoolean();

  private final ResourceFeed<Service> services;
  private ResourceFeed<EndpointSlice> slices;
  private ResourceFeed<Endpoints> legacyEndpoints;
  private boolean serviceReadable = true;

  ServiceWatch(ServiceKey key, KubernetesClient client, EndpointSource.Listener listener,
      KubernetesEndpointSource.Runtime runtime) {
    this.key = key;
    this.client = client;
    this.listener = listener;
    this.runtime = runtime;
    this.serial = new SerialExecutor(runtime.io());
    this.services = feed("Service " + key.namespace() + "/" + key.name(), new ResourceFeed.Api<>() {
      @Override
      public io.fabric8.kubernetes.api.model.ServiceList list() {
        return client.services().inNamespace(key.namespace()).withField("metadata.name", key.name()).list();
      }

      @Override
      public Watch watch(String resourceVersion, Watcher<Service> watcher) {
        return client.services().inNamespace(key.namespace()).withField("metadata.name", key.name())
            .watch(new ListOptionsBuilder().withResourceVersion(resourceVersion).build(), watcher);
      }
    });
    this.slices = feed("EndpointSlices of " + key.namespace() + "/" + key.name(), new ResourceFeed.Api<>() {
      @Override
      public io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceList list() {
        return client.discovery().v1().endpointSlices().inNamespace(key.namespace())
            .withLabel(SERVICE_NAME_LABEL, key.name()).list();
      }

      @Override
      public Watch watch(String resourceVersion, Watcher<EndpointSlice> watcher) {
        return client.discovery().v1().endpointSlices().inNamespace(key.namespace())
            .withLabel(SERVICE_NAME_LABEL, key.name())
            .watch(new ListOptionsBuilder().withResourceVersion(resourceVersion).build(), watcher);
      }
    });
  }

  private <T extends io.fabric8.kubernetes.api.model.HasMetadata> ResourceFeed<T> feed(
      String kind, ResourceFeed.Api<T> api) {
    return new ResourceFeed<>(kind, api, this, serial, runtime.io(), runtime.timers(), runtime.backoff(),
        runtime.random());
  }

  void start() {
    services.start();
    slices.start();
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      services.close();
      slices.close();
      serial.execute(() -> {
        if (legacyEndpoints != null) {
          legacyEndpoints.close();
        }
      });
    }
  }

  @Override
  public void feedChanged() {
    if (closed.get()) {
      return;
    }
    ResourceFeed<?> endpointFeed = legacyEndpoints != null ? legacyEndpoints : slices;
    if (!(endpointFeed.ready() && (!serviceReadable || services.ready()))) {
      return;
    }
    ServiceInfo info = ServiceInfo.UNKNOWN;
    if (serviceReadable) {
      Service service = services.item(key.name());
      if (service == null) {
        listener.onState(SourceState.notFound(ServiceInfo.UNKNOWN));
        return;
      }
      info = ServiceTranslator.translate(service, onceLog);
    }
    if (info.type() == ServiceInfo.Type.EXTERNAL_NAME) {
      onceLog.info("Service " + key.namespace() + "/" + key.name() + " is an ExternalName alias of "
          + info.externalName() + "; it has no pods to pick");
      listener.onState(new SourceState(true, info, List.of()));
      return;
    }
    PortMatch match = PortMatch.resolve(key, info, onceLog);
    List<Endpoint> endpoints;
    if (legacyEndpoints != null) {
      Endpoints object = legacyEndpoints.item(key.name());
      endpoints = object == null ? List.of() : EndpointTranslator.fromEndpoints(object, match, onceLog);
    } else {
      endpoints = EndpointTranslator.fromSlices(slices.items(), match, onceLog);
    }
    listener.onState(new SourceState(true, info, endpoints));
  }

  @Override
  public boolean feedFailed(ResourceFeed<?> feed, String reason, Throwable cause) {
    int code = cause instanceof KubernetesClientException k ? k.getCode() : 0;
    if (feed == services && code == 403 && !feed.everSynced()) {
      serviceReadable = false;
      log.warn("{}: may not read Service {}/{} (403); port names still work, a port number is taken"
          + " as the pods' port, and the Service's settings (session affinity, traffic distribution)"
          + " are unknown. Grant 'get, list, watch' on services to fix this.", key, key.namespace(), key.name());
      feedChanged();
      return false;
    }
    if (feed == slices && (code == 403 || code == 404) && !feed.everSynced()) {
      log.info("{}: the EndpointSlice API is {} (HTTP {}); falling back to v1/Endpoints",
          key, code == 404 ? "not available" : "forbidden", code);
      legacyEndpoints = legacyFeed();
      legacyEndpoints.start();
      return false;
    }
    if (!closed.get()) {
      listener.onFailure(reason, cause);
    }
    return true;
  }

  private ResourceFeed<Endpoints> legacyFeed() {
    return feed("Endpoints " + key.namespace() + "/" + key.name(), new ResourceFeed.Api<>() {
      @Override
      public io.fabric8.kubernetes.api.model.EndpointsList list() {
        return client.endpoints().inNamespace(key.namespace()).withField("metadata.name", key.name()).list();
      }

      @Override
      public Watch watch(String resourceVersion, Watcher<Endpoints> watcher) {
        return client.endpoints().inNamespace(key.namespace()).withField("metadata.name", key.name())
            .watch(new ListOptionsBuilder().withResourceVersion(resourceVersion).build(), watcher);
      }
    });
  }
}
