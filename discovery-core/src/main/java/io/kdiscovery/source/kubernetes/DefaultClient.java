package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.okhttp.OkHttpClientFactory;
import io.kdiscovery.time.DaemonThreads;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import okhttp3.Dispatcher;

/**
 * The client kdiscovery builds when the user passes none: fabric8's standard configuration on OkHttp,
 * whose dispatcher runs on daemon threads. OkHttp's own dispatcher threads are not daemons, and they
 * carry the open watches: an application whose {@code main} returns without closing kdiscovery would
 * never exit.
 */
final class DefaultClient {

  private DefaultClient() {}

  static KubernetesClient build() {
    return new KubernetesClientBuilder().withHttpClientFactory(new DaemonOkHttpClientFactory()).build();
  }

  private static final class DaemonOkHttpClientFactory extends OkHttpClientFactory {
    @Override
    protected Dispatcher initDispatcher() {
      // OkHttp's own default pool, on daemon threads; fabric8 lifts the request limits as its factory does.
      ThreadPoolExecutor executor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
          new SynchronousQueue<>(), DaemonThreads.factory("kdiscovery-okhttp"));
      Dispatcher dispatcher = new Dispatcher(executor);
      dispatcher.setMaxRequests(Integer.MAX_VALUE);
      dispatcher.setMaxRequestsPerHost(Integer.MAX_VALUE);
      return dispatcher;
    }
  }
}
