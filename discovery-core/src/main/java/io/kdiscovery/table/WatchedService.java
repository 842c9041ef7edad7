package io.kdiscovery.table;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import java.util.Optional;

/**
 * A read-only view of one table entry, for diagnostics (an Actuator endpoint, a health check).
 *
 * @param key the Service port
 * @param snapshot its latest snapshot, empty before the first
 * @param status whether the entry is in step with its source
 * @param users how many handles hold it open
 * @param reconnects how often the source came back in step after losing contact (an outage of the
 *     API server or the DNS server), since the entry was opened
 */
public record WatchedService(
    ServiceKey key, Optional<ServiceSnapshot> snapshot, SourceStatus status, int users, long reconnects) {}
