package io.kdiscovery.spring;

import io.kdiscovery.balancing.Pick;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.LoadBalancerLifecycle;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.client.loadbalancer.ResponseData;

/**
 * Feeds each request's outcome back to kdiscovery's balancer through Spring Cloud LoadBalancer's
 * lifecycle: a 5xx answer or an I/O error is a failure, a refused connection a connect failure
 * (ejection at once under the default outlier detection), anything else a success with its latency;
 * a discarded request cancels the pick.
 *
 * <p>Thread-safe and non-blocking; called from the request's threads. Ignores instances it did not
 * pick.
 */
final class OutcomeLifecycle implements LoadBalancerLifecycle<Object, Object, ServiceInstance> {

  private final PickRecorder recorder;

  OutcomeLifecycle(PickRecorder recorder) {
    this.recorder = recorder;
  }

  @Override
  public void onStart(Request<Object> request) {}

  @Override
  public void onStartRequest(Request<Object> request, Response<ServiceInstance> lbResponse) {
    if (lbResponse != null && lbResponse.getServer() instanceof PickedInstance picked) {
      picked.markStarted();
    }
  }

  @Override
  public void onComplete(CompletionContext<Object, ServiceInstance, Object> context) {
    Response<ServiceInstance> response = context.getLoadBalancerResponse();
    if (response == null || !(response.getServer() instanceof PickedInstance picked) || !picked.claimCompletion()) {
      return;
    }
    Pick pick = picked.pick();
    long latency = picked.elapsedNanos();
    String outcome;
    switch (context.status()) {
      case DISCARD -> {
        pick.cancel();
        outcome = "cancelled";
        latency = -1;
      }
      case FAILED -> {
        if (isConnectFailure(context.getThrowable())) {
          pick.connectFailure();
          outcome = "connect_failure";
        } else {
          pick.failure(latency);
          outcome = "failure";
        }
      }
      default -> {
        if (context.getClientResponse() instanceof ResponseData data && data.getHttpStatus() != null
            && data.getHttpStatus().is5xxServerError()) {
          pick.failure(latency);
          outcome = "failure";
        } else {
          pick.success(latency);
          outcome = "success";
        }
      }
    }
    recorder.record(picked.balancedId(), outcome, latency);
  }

  private static boolean isConnectFailure(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
        return true;
      }
    }
    return false;
  }
}
