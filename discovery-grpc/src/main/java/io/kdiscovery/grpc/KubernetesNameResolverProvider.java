package io.kdiscovery.grpc;

import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.kdiscovery.KDiscovery;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The {@code kubernetes} name resolver: a channel to {@code kubernetes:///hostnames.default:80} reaches
 * every ready pod of the Service {@code hostnames} directly, and learns of every change to its
 * EndpointSlices as it happens (a watch, not polling). Thread-safe; creating a resolver never blocks
 * on I/O.
 *
 * <p>Registered through {@code META-INF/services}, so that
 * {@code ManagedChannelBuilder.forTarget("kubernetes:///hostnames.default:80")} works with nothing but
 * this module on the class path. Targets:
 * <ul>
 *   <li>{@code kubernetes:///<service>.<namespace>:<port>}
 *   <li>{@code kubernetes:///<service>:<port>}, in the namespace of the client configuration
 *   <li>{@code kubernetes:///<service>.<namespace>.svc.cluster.local:<port>}
 *   <li>{@code kubernetes://<namespace>/<service>:<port>}
 * </ul>
 * {@code <port>} is the Service's port number (the one a client of the ClusterIP uses) or its name;
 * the channel dials the pods' port. A malformed target fails when the channel is built, with a message
 * that shows these forms.
 *
 * <p>Which {@link KDiscovery} the resolver reads from, first match wins:
 * <ol>
 *   <li>the channel's name-resolver argument {@link #KDISCOVERY}
 *       ({@code builder.setNameResolverArg(KubernetesNameResolverProvider.KDISCOVERY, discovery)});
 *   <li>the one given to this provider's constructor or to {@link #register(KDiscovery)};
 *   <li>one instance shared by every channel of the JVM, created on first use from fabric8's standard
 *       configuration (in-cluster service account, {@code KUBECONFIG} or {@code ~/.kube/config}) and
 *       closed a second after the last channel using it shut down (reference counted, as grpc
 *       shares its own default resources), so that a shut-down channel leaves no watch or thread
 *       behind.
 * </ol>
 * The application needs {@code get, list, watch} on {@code endpointslices.discovery.k8s.io} and
 * {@code services} in the namespaces it targets.
 */
public final class KubernetesNameResolverProvider extends NameResolverProvider {

  /** The URI scheme this provider resolves. */
  public static final String SCHEME = "kubernetes";

  /** A channel's own {@link KDiscovery}, set with {@code ManagedChannelBuilder.setNameResolverArg}. */
  public static final NameResolver.Args.Key<KDiscovery> KDISCOVERY = NameResolver.Args.Key.create("io.kdiscovery.kdiscovery");

  /** How long a resolver waits for the first snapshot before it reports the source's trouble. */
  static final Duration FIRST_SNAPSHOT_GRACE = Duration.ofSeconds(5);

  // Below grpc's DNS provider (5): a registry's default scheme, which plain "host:port" targets get,
  // is that of its highest-priority provider, and it must stay dns. A provider given its own
  // KDiscovery ranks one above the ServiceLoader's instance so that it wins the kubernetes scheme.
  private static final int SERVICE_LOADER_PRIORITY = 3;

  private final KDiscovery discovery; // null: the shared one
  private final int priority;

  /** The provider {@link java.util.ServiceLoader} creates: reads through the shared instance. */
  public KubernetesNameResolverProvider() {
    this.discovery = null;
    this.priority = SERVICE_LOADER_PRIORITY;
  }

  /**
   * A provider that reads through {@code discovery}, which stays the caller's to close (after the
   * channels that use it). Register it in a {@link NameResolverRegistry}, or use {@link #register}.
   */
  public KubernetesNameResolverProvider(KDiscovery discovery) {
    this.discovery = Objects.requireNonNull(discovery, "discovery");
    this.priority = SERVICE_LOADER_PRIORITY + 1;
  }

  /**
   * Makes every channel of the JVM that names a {@code kubernetes:} target without its own
   * {@link #KDISCOVERY} argument read through {@code discovery}; undo it with
   * {@code NameResolverRegistry.getDefaultRegistry().deregister(provider)}.
   *
   * @return the registered provider
   */
  public static KubernetesNameResolverProvider register(KDiscovery discovery) {
    KubernetesNameResolverProvider provider = new KubernetesNameResolverProvider(discovery);
    NameResolverRegistry.getDefaultRegistry().register(provider);
    return provider;
  }

  /**
   * Creates the resolver of a {@code kubernetes:} target; null for another scheme.
   *
   * @throws IllegalArgumentException showing the accepted forms when the target is malformed
   */
  @Override
  public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
    if (!SCHEME.equals(targetUri.getScheme())) {
      return null;
    }
    KDiscovery channelDiscovery = args.getArg(KDISCOVERY);
    KDiscovery given = channelDiscovery != null ? channelDiscovery : discovery;
    if (given != null) {
      return resolver(targetUri, args, given);
    }
    KDiscovery shared = SharedDiscovery.DEFAULT.acquire();
    try {
      return new SharedDiscoveryResolver(resolver(targetUri, args, shared), SharedDiscovery.DEFAULT, shared);
    } catch (RuntimeException e) {
      SharedDiscovery.DEFAULT.release(shared);
      throw e;
    }
  }

  private static NameResolver resolver(URI targetUri, NameResolver.Args args, KDiscovery chosen) {
    KubernetesTarget target = KubernetesTarget.parse(targetUri, chosen::defaultNamespace);
    return new KubernetesNameResolver(target, chosen, args.getSynchronizationContext(),
        args.getScheduledExecutorService(), FIRST_SNAPSHOT_GRACE);
  }

  @Override
  public String getDefaultScheme() {
    return SCHEME;
  }

  @Override
  protected boolean isAvailable() {
    return true;
  }

  @Override
  protected int priority() {
    return priority;
  }

  @Override
  public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
    return List.of(InetSocketAddress.class);
  }
}
