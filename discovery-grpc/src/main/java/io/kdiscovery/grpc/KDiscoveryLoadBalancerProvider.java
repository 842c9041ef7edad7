package io.kdiscovery.grpc;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Status;
import java.util.Map;

/**
 * The {@code kdiscovery} load-balancing policy for channels to {@code kubernetes:} targets: each call
 * is sent to the pod discovery-core's balancer picks, and its outcome (status and latency, from a
 * stream tracer) is reported back, so least-request and peak-EWMA see real load and failing pods are
 * ejected. Thread-safe; each channel gets its own policy instance, run in the channel's
 * synchronization context.
 *
 * <p>Registered through {@code META-INF/services}. Select it in the service config:
 *
 * <pre>{@code
 * {"loadBalancingConfig": [{"kdiscovery": {"policy": "least_request", "affinityMetadataKey": "x-user-id"}}]}
 * }</pre>
 *
 * or with {@code defaultLoadBalancingPolicy("kdiscovery")} for the defaults (least request,
 * default outlier detection, no affinity). The fields are described on the project's gRPC page; an
 * unknown policy or field fails the configuration with a message naming what is accepted.
 */
public final class KDiscoveryLoadBalancerProvider extends LoadBalancerProvider {

  /** The policy's name in service configs. */
  public static final String POLICY_NAME = "kdiscovery";

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public int getPriority() {
    return 5;
  }

  @Override
  public String getPolicyName() {
    return POLICY_NAME;
  }

  @Override
  public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
    return new KDiscoveryLoadBalancer(helper);
  }

  @Override
  public ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> rawConfig) {
    try {
      return ConfigOrError.fromConfig(KDiscoveryConfig.parse(rawConfig));
    } catch (IllegalArgumentException e) {
      return ConfigOrError.fromError(Status.INVALID_ARGUMENT
          .withDescription("invalid kdiscovery load-balancing config: " + e.getMessage()));
    }
  }
}
