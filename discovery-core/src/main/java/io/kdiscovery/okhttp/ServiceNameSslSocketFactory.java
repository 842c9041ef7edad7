package io.kdiscovery.okhttp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import java.util.function.BiFunction;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A {@link SSLSocketFactory} that names the Service, not the pod, in the TLS handshake: OkHttp layers
 * TLS over a connection to the pod's IP (the URL the interceptor rewrote), and for an IP it would send
 * no SNI at all. The Service name for a pod address comes from the interceptor's last call to it.
 *
 * <p>Thread-safe, as its delegate is.
 */
final class ServiceNameSslSocketFactory extends SSLSocketFactory {

  private final SSLSocketFactory delegate;
  private final BiFunction<String, Integer, String> serviceName;

  ServiceNameSslSocketFactory(SSLSocketFactory delegate, BiFunction<String, Integer, String> serviceName) {
    this.delegate = delegate;
    this.serviceName = serviceName;
  }

  @Override
  public Socket createSocket(Socket socket, String host, int port, boolean autoClose) throws IOException {
    return named(delegate.createSocket(socket, host, port, autoClose), host, port);
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return named(delegate.createSocket(host, port), host, port);
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
    return named(delegate.createSocket(host, port, localHost, localPort), host, port);
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return named(delegate.createSocket(host, port), host.getHostAddress(), port);
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
      throws IOException {
    return named(delegate.createSocket(address, port, localAddress, localPort), address.getHostAddress(), port);
  }

  @Override
  public Socket createSocket() throws IOException {
    return delegate.createSocket();
  }

  @Override
  public String[] getDefaultCipherSuites() {
    return delegate.getDefaultCipherSuites();
  }

  @Override
  public String[] getSupportedCipherSuites() {
    return delegate.getSupportedCipherSuites();
  }

  private Socket named(Socket socket, String host, int port) {
    String name = serviceName.apply(host, port);
    if (name != null && socket instanceof SSLSocket ssl) {
      SSLParameters parameters = ssl.getSSLParameters();
      parameters.setServerNames(List.of(new SNIHostName(name)));
      ssl.setSSLParameters(parameters);
    }
    return socket;
  }
}
