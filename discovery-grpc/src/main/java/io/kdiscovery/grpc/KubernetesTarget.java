package io.kdiscovery.grpc;

import io.kdiscovery.model.ServiceKey;
import java.net.URI;
import java.util.function.Supplier;

/**
 * A parsed {@code kubernetes:} channel target: the Service port it names and the authority the
 * channel announces. Immutable.
 *
 * <p>Accepted: {@code kubernetes:///service:port}, {@code kubernetes:///service.namespace:port},
 * {@code kubernetes:///service.namespace.svc.cluster.local:port} and
 * {@code kubernetes://namespace/service:port}.
 */
record KubernetesTarget(ServiceKey key, String authority) {

  static final String FORMS = "kubernetes:///<service>:<port>, kubernetes:///<service>.<namespace>:<port>,"
      + " kubernetes:///<service>.<namespace>.svc.cluster.local:<port> or"
      + " kubernetes://<namespace>/<service>:<port>, where <port> is the Service's port number or name";

  /**
   * Parses {@code uri}; {@code defaultNamespace} is asked only when the target names no namespace.
   *
   * @throws IllegalArgumentException showing the accepted forms when {@code uri} is none of them
   */
  static KubernetesTarget parse(URI uri, Supplier<String> defaultNamespace) {
    String path = uri.getPath();
    if (uri.getQuery() != null || uri.getFragment() != null || uri.getUserInfo() != null
        || uri.getPort() != -1 || path == null || !path.startsWith("/") || path.length() == 1
        || path.indexOf('/', 1) >= 0) {
      throw malformed(uri, null);
    }
    String address = path.substring(1);
    String namespaceFromAuthority = uri.getAuthority();
    try {
      if (namespaceFromAuthority != null && !namespaceFromAuthority.isEmpty()) {
        if (address.indexOf('.') >= 0) {
          throw malformed(uri, "with the namespace in the authority, the path is <service>:<port>");
        }
        ServiceKey key = ServiceKey.parse(address, namespaceFromAuthority);
        return new KubernetesTarget(key, key.name() + "." + key.namespace() + ":" + key.port());
      }
      String namespace = address.contains(".") ? null : defaultNamespace.get();
      return new KubernetesTarget(ServiceKey.parse(address, namespace), address);
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("malformed kubernetes target")) {
        throw e;
      }
      throw malformed(uri, e.getMessage());
    }
  }

  private static IllegalArgumentException malformed(URI uri, String detail) {
    return new IllegalArgumentException("malformed kubernetes target '" + uri + "'"
        + (detail == null ? "" : " (" + detail + ")") + "; expected " + FORMS);
  }
}
