package io.kdiscovery.benchmarks;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Made-up pod addresses for the benchmarks: {@code 10.x.y.z:8080}, never dialled. */
final class Pods {

  static final ServiceKey KEY = ServiceKey.of("default", "bench", 8080);

  private Pods() {}

  static String address(int i) {
    return "10." + (i >> 16 & 0xff) + "." + (i >> 8 & 0xff) + "." + (i & 0xff);
  }

  static ServiceSnapshot snapshot(int count) {
    List<Endpoint> endpoints = new ArrayList<>(count);
    for (int i = 1; i <= count; i++) {
      endpoints.add(Endpoint.of(address(i), 8080));
    }
    return new ServiceSnapshot(KEY, 1, Instant.now(), true, ServiceInfo.UNKNOWN, endpoints);
  }
}
