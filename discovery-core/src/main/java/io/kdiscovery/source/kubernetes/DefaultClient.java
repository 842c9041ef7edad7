package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientImpl;
import io.kdiscovery.time.DaemonThreads;
import java.net.http.HttpClient;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The client kdiscovery builds when the user passes none: fabric8's standard configuration on the
 * JDK's {@code java.net.http} transport, with every thread it runs on bounded, named and daemon.
 *
 * <p>Why this transport (docs/scale.md, "Transport"): the JDK client reads every connection, however
 * many WebSocket watches there are, from one selector thread, where OkHttp holds a reader thread per
 * WebSocket (1 000 Services in the per-Service scope meant ~4 000 threads), and it needs no library
 * at all, so an application's own OkHttp, Netty or Vert.x versions cannot clash with ours. What is
 * left to bound is the work handed off the selector: fabric8's JDK factory and its client executor
 * are both cached pools that grow with bursts (2 000 watches opening at once), so both are replaced
 * here by small fixed pools whose idle threads go. Neither pool blocks on I/O: the JDK client runs
 * its completions and body subscribers on {@link #TRANSPORT_THREADS} threads, fabric8 hands watch
 * events to the watchers on {@link #CALLBACK_THREADS}, and kdiscovery's watchers only queue work on
 * their groups' serial contexts.
 *
 * <p>Closing the client shuts both pools down; the JDK 17 client's selector thread ends once the
 * closed client is unreachable (the JDK has no {@code close()} before 21).
 */
final class DefaultClient {

  static final int TRANSPORT_THREADS = 2;
  static final int CALLBACK_THREADS = 2;

  private DefaultClient() {}

  /** On fabric8's standard configuration (service account, kubeconfig, system properties). */
  static KubernetesClient build() {
    return builder().build();
  }

  /** On the configuration given; for tests of the client kdiscovery builds. */
  static KubernetesClient build(Config config) {
    return builder().withConfig(config).build();
  }

  private static KubernetesClientBuilder builder() {
    return new KubernetesClientBuilder()
        .withHttpClientFactory(new BoundedJdkHttpClientFactory())
        .withTaskExecutorSupplier(new KubernetesClientBuilder.ExecutorSupplier() {
          @Override
          public Executor get() {
            return pool(CALLBACK_THREADS, "kdiscovery-k8s-callback");
          }

          @Override
          public void onClose(Executor executor) {
            ((ExecutorService) executor).shutdownNow();
          }
        });
  }

  /** A fixed pool on daemon threads that go when idle; its queue is unbounded, so it never rejects. */
  private static ThreadPoolExecutor pool(int threads, String name) {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), DaemonThreads.factory(name));
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /**
   * fabric8's JDK factory with a fixed executor in place of its cached one. One factory serves one
   * client: the client and the views derived from it share one {@code java.net.http.HttpClient}, and
   * closing the client shuts the executor down.
   */
  private static final class BoundedJdkHttpClientFactory extends JdkHttpClientFactory {
    private final ThreadPoolExecutor executor = pool(TRANSPORT_THREADS, "kdiscovery-k8s-http");

    @Override
    protected HttpClient.Builder createNewHttpClientBuilder() {
      return HttpClient.newBuilder().executor(executor);
    }

    @Override
    protected void closeHttpClient(JdkHttpClientImpl client) {
      executor.shutdownNow();
    }
  }
}
