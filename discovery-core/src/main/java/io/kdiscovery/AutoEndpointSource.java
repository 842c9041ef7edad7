package io.kdiscovery;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.kubernetes.KubernetesEndpointSource;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SourceType#AUTO}: on the first watch, asks the API server once whether this application may
 * list EndpointSlices (in that watch's namespace), and from then on serves every watch from the
 * Kubernetes source if so, else from DNS. The probe runs on its own daemon thread so {@link #watch}
 * never blocks; watches opened meanwhile start as soon as the choice is made.
 *
 * <p>Thread-safe. The source not chosen is closed (DNS is never even built if Kubernetes wins).
 */
final class AutoEndpointSource implements EndpointSource {

  private static final Logger log = LoggerFactory.getLogger(AutoEndpointSource.class);

  private final KubernetesEndpointSource kubernetes;
  private final Supplier<EndpointSource> dnsFactory;
  private final CompletableFuture<EndpointSource> chosen = new CompletableFuture<>();
  private boolean probing; // guarded by this
  private boolean closed; // guarded by this

  AutoEndpointSource(KubernetesEndpointSource kubernetes, Supplier<EndpointSource> dnsFactory) {
    this.kubernetes = kubernetes;
    this.dnsFactory = dnsFactory;
  }

  /** The Kubernetes source, for the Service catalog (which needs the API whichever source serves endpoints). */
  KubernetesEndpointSource kubernetes() {
    return kubernetes;
  }

  @Override
  public String name() {
    EndpointSource source = chosen.getNow(null);
    return source == null ? "auto" : source.name();
  }

  @Override
  public Watch watch(ServiceKey key, Listener listener) {
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the endpoint source is closed");
      }
      if (!probing) {
        probing = true;
        Thread probe = new Thread(() -> choose(key.namespace()), "kdiscovery-source-probe");
        probe.setDaemon(true);
        probe.start();
      }
    }
    DeferredWatch watch = new DeferredWatch();
    chosen.thenAccept(source -> watch.start(source, key, listener));
    return watch;
  }

  private void choose(String namespace) {
    EndpointSource source;
    if (kubernetes.canReadEndpointSlices(namespace)) {
      log.info("source auto: the application may read EndpointSlices in {}; watching the Kubernetes API",
          namespace);
      source = kubernetes;
    } else {
      log.info("source auto: the application may not read EndpointSlices in {}; using cluster DNS", namespace);
      kubernetes.close();
      try {
        source = dnsFactory.get();
      } catch (RuntimeException e) {
        log.error("source auto: the DNS source could not be built; no endpoints will be found", e);
        return;
      }
    }
    synchronized (this) {
      if (closed) {
        source.close();
        return;
      }
    }
    chosen.complete(source);
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
    }
    EndpointSource source = chosen.getNow(null);
    if (source != null) {
      source.close();
    } else {
      kubernetes.close();
    }
  }

  /** A watch that starts on the chosen source, or never if closed first. */
  private static final class DeferredWatch implements Watch {
    private Watch delegate; // guarded by this
    private boolean closed; // guarded by this

    void start(EndpointSource source, ServiceKey key, Listener listener) {
      synchronized (this) {
        if (closed) {
          return;
        }
        try {
          delegate = source.watch(key, listener);
        } catch (RuntimeException e) {
          listener.onFailure("could not start watching " + key + " through " + source.name() + ": " + e, e);
        }
      }
    }

    @Override
    public synchronized void close() {
      closed = true;
      if (delegate != null) {
        delegate.close();
      }
    }
  }
}
