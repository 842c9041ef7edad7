package io.kdiscovery.testing;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The scenario everything starts from ({@code hostnames.yaml}): Service {@code hostnames}, port 80
 * named {@code default}, forwarding to the pods' port 9376. This builds the EndpointSlices the
 * EndpointSlice controller would publish for its pods.
 */
public final class Hostnames {

  public static final String NAMESPACE = "default";
  public static final String NAME = "hostnames";
  public static final int POD_PORT = 9376;

  private Hostnames() {}

  /** The Service from {@code hostnames.yaml}, in namespace {@code default}. */
  public static Service service() {
    try (InputStream yaml = Hostnames.class.getResourceAsStream("/hostnames.yaml")) {
      if (yaml == null) {
        throw new IllegalStateException("hostnames.yaml is missing from the test resources");
      }
      List<HasMetadata> objects = new KubernetesSerialization().unmarshal(yaml);
      Service service = (Service) objects.stream().filter(o -> o instanceof Service).findFirst().orElseThrow();
      return new ServiceBuilder(service).editMetadata().withNamespace(NAMESPACE).endMetadata().build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A copy of the hostnames Service under another name (and so another selector label value). */
  public static Service service(String name) {
    return new ServiceBuilder(service()).editMetadata().withName(name).endMetadata().build();
  }

  /** A slice builder for the hostnames Service with port {@code default} → 9376. */
  public static SliceBuilder slice(String sliceName) {
    return new SliceBuilder(sliceName);
  }

  /** Builds one EndpointSlice; endpoints are added as pods in a given state. */
  public static final class SliceBuilder {
    private final String sliceName;
    private String serviceName = NAME;
    private String addressType = "IPv4";
    private String portName = "default";
    private Integer port = POD_PORT;
    private boolean withPorts = true;
    private final List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> endpoints = new ArrayList<>();

    private SliceBuilder(String sliceName) {
      this.sliceName = sliceName;
    }

    /** The Service the slice belongs to (its {@code kubernetes.io/service-name} label). */
    public SliceBuilder forService(String serviceName) {
      this.serviceName = serviceName;
      return this;
    }

    public SliceBuilder addressType(String addressType) {
      this.addressType = addressType;
      return this;
    }

    public SliceBuilder port(String name, Integer number) {
      this.portName = name;
      this.port = number;
      return this;
    }

    public SliceBuilder noPorts() {
      this.withPorts = false;
      return this;
    }

    /** A Running pod that passes its readinessProbe. */
    public SliceBuilder ready(String pod, String ip) {
      return endpoint(pod, ip, true, true, false);
    }

    /** A pod that fails its readinessProbe. */
    public SliceBuilder notReady(String pod, String ip) {
      return endpoint(pod, ip, false, false, false);
    }

    /** A pod shutting down that still answers (serving while terminating). */
    public SliceBuilder terminating(String pod, String ip) {
      return endpoint(pod, ip, false, true, true);
    }

    /** An endpoint with conditions left unset, which the API defines as ready. */
    public SliceBuilder unsetConditions(String pod, String ip) {
      endpoints.add(new EndpointBuilder().withAddresses(ip)
          .withNewTargetRef().withKind("Pod").withName(pod).withNamespace(NAMESPACE).endTargetRef()
          .build());
      return this;
    }

    public SliceBuilder endpoint(String pod, String ip, Boolean ready, Boolean serving, Boolean terminating) {
      endpoints.add(new EndpointBuilder().withAddresses(ip)
          .withNewConditions().withReady(ready).withServing(serving).withTerminating(terminating).endConditions()
          .withNodeName("node-1").withZone("zone-a")
          .withNewTargetRef().withKind("Pod").withName(pod).withNamespace(NAMESPACE).endTargetRef()
          .build());
      return this;
    }

    public EndpointSlice build() {
      EndpointSliceBuilder builder = new EndpointSliceBuilder()
          .withNewMetadata().withName(sliceName).withNamespace(NAMESPACE)
          .addToLabels("kubernetes.io/service-name", serviceName)
          .addToLabels("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")
          .endMetadata()
          .withAddressType(addressType)
          .withEndpoints(endpoints);
      if (withPorts) {
        builder.addNewPort().withName(portName).withPort(port).withProtocol("TCP").endPort();
      }
      return builder.build();
    }
  }
}
