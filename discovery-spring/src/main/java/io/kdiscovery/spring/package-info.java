/**
 * Spring Cloud integration of kdiscovery: {@link io.kdiscovery.spring.KDiscoveryDiscoveryClient},
 * {@link io.kdiscovery.spring.KDiscoveryReactiveDiscoveryClient}, Spring Cloud LoadBalancer through
 * {@link io.kdiscovery.spring.KDiscoveryReactorLoadBalancer}, Boot auto-configuration, the Actuator
 * endpoint {@code kdiscovery}, a health indicator and Micrometer metrics. Configure it with the
 * {@code kdiscovery.*} properties ({@link io.kdiscovery.spring.KDiscoveryProperties}).
 */
package io.kdiscovery.spring;
